using System.Text.Json.Nodes;

namespace Berth.Core.FieldManagement;

/// <summary>
/// One entry of <c>metadata.managedFields</c>: the fields one manager owns through one kind of operation
/// (<c>Apply</c> or <c>Update</c>) and, for writes through a subresource, that subresource. An entry read from a
/// stored object keeps its JSON: its fields are decoded only when a write touches them, and an entry no write
/// changed is written back as it was.
/// </summary>
public sealed class ManagedFieldsEntry
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    private readonly JsonObject? _stored;
    private FieldSet? _fields;

    /// <summary>Whether the version and time differ from the stored JSON's (<see cref="Restamped"/>).</summary>
    private bool _restamped;

    public ManagedFieldsEntry(string manager, string operation, string apiVersion, string? time, string? subresource, FieldSet fields)
    {
        (Manager, Operation, ApiVersion, Time, Subresource, _fields) = (manager, operation, apiVersion, time, subresource, fields);
    }

    private ManagedFieldsEntry(JsonObject? stored, FieldSet? fields, string manager, string operation, string apiVersion, string? time, string? subresource)
    {
        (_stored, _fields, Manager, Operation, ApiVersion, Time, Subresource) = (stored, fields, manager, operation, apiVersion, time, subresource);
    }

    public string Manager { get; }

    public string Operation { get; }

    public string ApiVersion { get; }

    public string? Time { get; }

    public string? Subresource { get; }

    public FieldSet Fields => _fields ??= StoredFields is { } v1 ? FieldSet.FromFieldsV1(v1) : new FieldSet();

    public bool IsEmpty => _fields?.IsEmpty ?? StoredFields is not { Count: > 0 };

    private JsonObject? StoredFields => _stored?["fieldsV1"] as JsonObject;

    /// <summary>The same entry owning <paramref name="fields"/> instead.</summary>
    public ManagedFieldsEntry WithFields(FieldSet fields) => new(Manager, Operation, ApiVersion, Time, Subresource, fields);

    /// <summary>The same entry, fields and all (still undecoded if they were), recorded in <paramref name="apiVersion"/> at <paramref name="time"/>.</summary>
    public ManagedFieldsEntry Restamped(string apiVersion, string time) =>
        new(_stored, _fields, Manager, Operation, apiVersion, time, Subresource) { _restamped = true };

    /// <summary>Whether this entry owns every one of <paramref name="paths"/>; answered from the stored JSON when not decoded yet.</summary>
    public bool OwnsAllOf(FieldSet paths) => _fields is not null ? paths.Difference(_fields).IsEmpty : Covers(StoredFields ?? [], paths);

    /// <summary>Whether this entry owns any of <paramref name="paths"/>; answered from the stored JSON when not decoded yet.</summary>
    public bool OwnsAnyOf(FieldSet paths) => _fields is not null ? _fields.Overlaps(paths) : StoredFields is { } v1 && Overlaps(v1, paths);

    /// <summary>Whether this entry is the one an owner writes to (entries are identified by all but version, time and fields).</summary>
    public bool BelongsTo(FieldOwner owner) =>
        Manager == owner.Manager && Operation == owner.Operation && (Subresource ?? "") == (owner.Subresource ?? "");

    /// <summary>The manager as conflict messages name it, after upstream's printManager.</summary>
    public string Describe()
    {
        var text = $"\"{Manager}\"";
        if (!string.IsNullOrEmpty(Subresource))
            text += $" with subresource \"{Subresource}\"";
        return Operation == Update ? $"{text} using {ApiVersion}" : text;
    }

    public JsonObject ToJson()
    {
        if (_stored is not null && _fields is null)
        {
            var stored = _stored.DeepClone().AsObject();
            if (_restamped)
                (stored["apiVersion"], stored["time"]) = (ApiVersion, Time);
            return stored;
        }
        var entry = new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = Operation,
            ["apiVersion"] = ApiVersion,
        };
        if (Time is not null)
            entry["time"] = Time;
        entry["fieldsType"] = "FieldsV1";
        entry["fieldsV1"] = Fields.ToFieldsV1();
        if (!string.IsNullOrEmpty(Subresource))
            entry["subresource"] = Subresource;
        return entry;
    }

    /// <summary>
    /// Reads <c>metadata.managedFields</c>; throws <see cref="FormatException"/> naming what is wrong. Fields are
    /// decoded at once when <paramref name="decodeFields"/> (entries a client sent), else when first needed.
    /// </summary>
    public static List<ManagedFieldsEntry> Read(JsonArray entries, bool decodeFields)
    {
        var result = new List<ManagedFieldsEntry>();
        foreach (var node in entries)
        {
            if (node is not JsonObject entry)
                throw new FormatException("each managedFields entry must be an object");
            var operation = Text(entry, "operation");
            if (operation is not (Apply or Update))
                throw new FormatException($"managedFields operation must be Apply or Update, not \"{operation}\"");
            if (Text(entry, "fieldsType") is { } type && type != "FieldsV1")
                throw new FormatException($"managedFields fieldsType must be FieldsV1, not \"{type}\"");
            if (entry["fieldsV1"] is not (null or JsonObject))
                throw new FormatException("managedFields fieldsV1 must be an object");
            var read = new ManagedFieldsEntry(entry, null, Text(entry, "manager") ?? "", operation, Text(entry, "apiVersion") ?? "",
                Text(entry, "time"), Text(entry, "subresource"));
            if (decodeFields)
                _ = read.Fields;
            result.Add(read);
        }
        return result;
    }

    /// <summary>
    /// The entries in upstream's order (Apply before Update, then oldest first, then by manager), without those that
    /// own nothing.
    /// </summary>
    public static JsonArray Write(IEnumerable<ManagedFieldsEntry> entries) =>
        new([.. entries.Where(e => !e.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time ?? "", StringComparer.Ordinal)
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())]);

    /// <summary>Whether FieldsV1 JSON and a set have a member in common, walking both together.</summary>
    private static bool Overlaps(JsonObject v1, FieldSet paths)
    {
        foreach (var (element, child) in paths.Children)
        {
            if (v1[element] is not JsonObject owned)
                continue;
            if (child.IsMember && (owned.Count == 0 || owned.ContainsKey(".")))
                return true;
            if (Overlaps(owned, child))
                return true;
        }
        return false;
    }

    /// <summary>Whether FieldsV1 JSON holds every member of a set, walking both together.</summary>
    private static bool Covers(JsonObject v1, FieldSet paths)
    {
        foreach (var (element, child) in paths.Children)
        {
            if (child.IsEmpty)
                continue;
            if (v1[element] is not JsonObject owned || (child.IsMember && owned.Count > 0 && !owned.ContainsKey(".")) || !Covers(owned, child))
                return false;
        }
        return true;
    }

    private static string? Text(JsonObject entry, string field) => entry[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new FormatException($"managedFields {field} must be a string"),
    };
}

/// <summary>Who writes: the field manager, the operation, and the subresource written through (if any).</summary>
public sealed record FieldOwner(string Manager, string Operation, string? Subresource);
