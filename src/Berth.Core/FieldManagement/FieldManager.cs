using System.Text.Json.Nodes;
using Berth.Core.Patching;
using Berth.Core.Serialization;

namespace Berth.Core.FieldManagement;

/// <summary>
/// Keeps <c>metadata.managedFields</c>: which manager owns which fields. Every write records its changes as an
/// <c>Update</c> by its manager (taking the changed fields from whoever owned them); a server-side apply merges the
/// applied configuration, refuses to change other managers' fields unless forced, and removes the fields its manager
/// applied before but no longer does and nobody else owns.
/// </summary>
/// <param name="Type">The schema of the kind written.</param>
/// <param name="ApiVersion">The group/version the entries are recorded in.</param>
/// <param name="Now">The time entries that change are stamped with (RFC 3339).</param>
/// <param name="StatusIsSeparate">Whether the kind has a status subresource, so that status and the rest are owned apart.</param>
public sealed record FieldManager(PatchType Type, string ApiVersion, string Now, bool StatusIsSeparate)
{
    /// <summary>Upstream keeps at most this many Update entries; older ones are folded into one.</summary>
    public const int MaxUpdateManagers = 10;

    private const string AncientChanges = "ancient-changes";

    /// <summary>Metadata the server owns, never a manager (upstream's stripped fields).</summary>
    private static readonly IReadOnlyList<string>[] ServerFields =
    [
        ["f:apiVersion"], ["f:kind"],
        ["f:metadata", "f:name"], ["f:metadata", "f:namespace"], ["f:metadata", "f:creationTimestamp"], ["f:metadata", "f:selfLink"],
        ["f:metadata", "f:uid"], ["f:metadata", "f:generation"], ["f:metadata", "f:managedFields"], ["f:metadata", "f:resourceVersion"],
        ["f:metadata", "f:deletionTimestamp"], ["f:metadata", "f:deletionGracePeriodSeconds"],
    ];

    private static readonly IReadOnlyList<string>[] Status = [["f:status"]];
    private static readonly Func<string, bool> OnlyStatus = name => name == "status";
    private static readonly Func<string, bool> AllButStatus = name => name != "status";

    /// <summary>The server's fields as a set, which comparisons skip rather than walk.</summary>
    private static readonly FieldSet ServerFieldSet = ServerFields.Aggregate(new FieldSet(), (set, path) =>
    {
        set.Insert(path);
        return set;
    });

    /// <summary>
    /// Records the write of <paramref name="updated"/> over <paramref name="current"/> (null for a create) by
    /// <paramref name="owner"/> in <paramref name="updated"/>'s managedFields. Managed fields the writer sent
    /// replace the current ones (that is how clients rewrite them); a list of one empty entry removes them all.
    /// </summary>
    public void RecordUpdate(JsonObject? current, JsonObject updated, FieldOwner owner)
    {
        var metadata = Metadata(updated);
        var currentManaged = current is null ? null : Metadata(current)["managedFields"] as JsonArray;
        var entries = currentManaged is null ? [] : ManagedFieldsEntry.Read(currentManaged, decodeFields: false);
        if (metadata["managedFields"] is JsonArray { Count: > 0 } sent && !SameJson(sent, currentManaged))
        {
            if (sent.All(e => e is JsonObject { Count: 0 }))
            {
                metadata.Remove("managedFields");
                return;
            }
            entries = ReadOrNull(sent) ?? entries;
        }

        var changes = Changes(current ?? [], updated, owner);
        var changed = changes.Set;
        var touched = changed.Union(changes.Removed);
        if (touched.IsEmpty)
        {
            // A write that changes nothing leaves ownership, and the times, as they were.
            Write(metadata, entries);
            return;
        }
        var own = entries.Find(e => e.BelongsTo(owner));
        if (own is not null && changes.Added.IsEmpty && changes.Removed.IsEmpty && own.OwnsAllOf(changes.Modified)
            && !entries.Exists(e => e != own && e.OwnsAnyOf(changes.Modified)))
        {
            // Only values the writer alone owns changed (a lease renewed, a count moved): its fields stay as stored,
            // undecoded, and only its entry's version and time move.
            entries[entries.IndexOf(own)] = own.Restamped(ApiVersion, Now);
            Write(metadata, CapUpdateManagers(entries));
            return;
        }
        RemoveFromOthers(entries, own, touched);
        var fields = (own?.Fields ?? new FieldSet()).Difference(changes.Removed).Union(changed);
        Replace(entries, own, fields, owner, touched: true);
        Write(metadata, CapUpdateManagers(entries));
    }

    /// <summary>
    /// The object <paramref name="applied"/> makes of <paramref name="live"/> (null when it does not exist yet), with
    /// its managedFields; throws <see cref="ApplyConflictException"/> when the apply would change another manager's
    /// fields and <paramref name="force"/> is off (with it, they change hands).
    /// </summary>
    public JsonObject Apply(JsonObject? live, JsonObject applied, FieldOwner owner, bool force)
    {
        var entries = Entries(live);
        var liveObject = live?.DeepClone().AsObject() ?? [];
        Metadata(liveObject).Remove("managedFields");
        var merged = ApplyMerge.Merge(liveObject, applied, Type);
        var appliedFields = InScope(ObjectFields.Of(applied, Type), owner);

        var changes = Changes(liveObject, merged, owner);
        var changed = changes.Set;
        var own = entries.Find(e => e.BelongsTo(owner));
        var conflicts = new List<(ManagedFieldsEntry, IReadOnlyList<string>)>();
        foreach (var entry in entries.Where(e => e != own))
            conflicts.AddRange(entry.Fields.Intersection(changed).Members().Select(path => (entry, path)));
        if (conflicts.Count > 0 && !force)
            throw new ApplyConflictException(conflicts);

        RemoveFromOthers(entries, own, changed.Union(changes.Removed));
        var others = entries.Where(e => e != own).Aggregate(new FieldSet(), (all, e) => all.Union(e.Fields));
        ApplyMerge.Prune(merged, (own?.Fields ?? new FieldSet()).Difference(appliedFields), others, Type);

        // What pruning removed is owned by nobody any more.
        var final = Changes(liveObject, merged, owner);
        RemoveFromOthers(entries, own, final.Removed);
        var touched = !final.Set.IsEmpty || !final.Removed.IsEmpty || own is null || !own.Fields.SetEquals(appliedFields);
        Replace(entries, own, appliedFields, owner, touched);
        Write(Metadata(merged), CapUpdateManagers(entries));
        return merged;
    }

    private FieldChanges Changes(JsonObject current, JsonObject updated, FieldOwner owner)
    {
        // What InScope would drop is not compared at all: a status write compares only the status, and other writes
        // leave the status out, when the kind owns it apart.
        var topLevel = !StatusIsSeparate ? null : owner.Subresource == "status" ? OnlyStatus : AllButStatus;
        var changes = ObjectFields.Compare(current, updated, Type, ServerFieldSet, topLevel);
        return new FieldChanges(InScope(changes.Added, owner), InScope(changes.Modified, owner), InScope(changes.Removed, owner));
    }

    /// <summary>
    /// Narrows freshly computed <paramref name="fields"/> to what a write through the owner's (sub)resource can own:
    /// never server metadata; status apart from the rest when the kind has a status subresource.
    /// </summary>
    private FieldSet InScope(FieldSet fields, FieldOwner owner)
    {
        fields.RemoveSubtrees(ServerFields);
        fields.Child("f:metadata")?.ClearMember();
        if (StatusIsSeparate && owner.Subresource == "status")
            fields.KeepOnly("f:status");
        else if (StatusIsSeparate)
            fields.RemoveSubtrees(Status);
        return fields;
    }

    private void Replace(List<ManagedFieldsEntry> entries, ManagedFieldsEntry? own, FieldSet fields, FieldOwner owner, bool touched)
    {
        var entry = new ManagedFieldsEntry(owner.Manager, owner.Operation, ApiVersion, touched || own is null ? Now : own.Time, owner.Subresource, fields);
        if (own is null)
            entries.Add(entry);
        else
            entries[entries.IndexOf(own)] = entry;
    }

    private static void RemoveFromOthers(List<ManagedFieldsEntry> entries, ManagedFieldsEntry? own, FieldSet fields)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] != own && entries[i].OwnsAnyOf(fields))
                entries[i] = entries[i].WithFields(entries[i].Fields.Difference(fields));
        }
    }

    /// <summary>Folds the oldest Update entries into one <c>ancient-changes</c> entry when there are too many.</summary>
    private List<ManagedFieldsEntry> CapUpdateManagers(List<ManagedFieldsEntry> entries)
    {
        if (entries.Count <= MaxUpdateManagers)
            return entries;
        var updates = entries.Where(e => e.Operation == ManagedFieldsEntry.Update && !e.IsEmpty)
            .OrderBy(e => e.Time ?? "", StringComparer.Ordinal).ToList();
        if (updates.Count <= MaxUpdateManagers)
            return entries;
        var oldest = updates.Take(updates.Count - MaxUpdateManagers + 1).ToList();
        var folded = new ManagedFieldsEntry(AncientChanges, ManagedFieldsEntry.Update, ApiVersion, oldest[^1].Time, null,
            oldest.Aggregate(new FieldSet(), (all, e) => all.Union(e.Fields)));
        return [.. entries.Except(oldest), folded];
    }

    /// <summary>
    /// Whether two nodes are written the same: cheaper than comparing them node by node, which would decode every
    /// managedFields entry the writer merely passed back.
    /// </summary>
    private static bool SameJson(JsonNode a, JsonNode? b) =>
        b is not null && WireJson.Bytes(a).AsSpan().SequenceEqual(WireJson.Bytes(b));

    /// <summary>Managed fields a client sent, or null when they cannot be read (the current ones stay then, as upstream).</summary>
    private static List<ManagedFieldsEntry>? ReadOrNull(JsonArray sent)
    {
        try
        {
            return ManagedFieldsEntry.Read(sent, decodeFields: true);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static List<ManagedFieldsEntry> Entries(JsonObject? obj) =>
        obj is not null && Metadata(obj)["managedFields"] is JsonArray entries ? ManagedFieldsEntry.Read(entries, decodeFields: false) : [];

    private static void Write(JsonObject metadata, List<ManagedFieldsEntry> entries)
    {
        var written = ManagedFieldsEntry.Write(entries);
        if (written.Count == 0)
            metadata.Remove("managedFields");
        else
            metadata["managedFields"] = written;
    }

    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
            return metadata;
        metadata = [];
        obj["metadata"] = metadata;
        return metadata;
    }
}
