using System.Text.Json.Nodes;

namespace Berth.Core.FieldManagement;

/// <summary>
/// One entry of <c>metadata.managedFields</c>: the fields one manager owns through one kind of operation
/// (<c>Apply</c> or <c>Update</c>) and, for writes through a subresource, that subresource.
/// </summary>
public sealed record ManagedFieldsEntry(string Manager, string Operation, string ApiVersion, string? Time, string? Subresource, FieldSet Fields)
{
    public const string Apply = "Apply";
    public const string Update = "Update";

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

    /// <summary>Reads <c>metadata.managedFields</c>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static List<ManagedFieldsEntry> Read(JsonArray entries)
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
            var fields = entry["fieldsV1"] switch
            {
                null => new FieldSet(),
                JsonObject v1 => FieldSet.FromFieldsV1(v1),
                _ => throw new FormatException("managedFields fieldsV1 must be an object"),
            };
            result.Add(new ManagedFieldsEntry(Text(entry, "manager") ?? "", operation, Text(entry, "apiVersion") ?? "",
                Text(entry, "time"), Text(entry, "subresource"), fields));
        }
        return result;
    }

    /// <summary>
    /// The entries in upstream's order (Apply before Update, then oldest first, then by manager), without those that
    /// own nothing.
    /// </summary>
    public static JsonArray Write(IEnumerable<ManagedFieldsEntry> entries) =>
        new([.. entries.Where(e => !e.Fields.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time ?? "", StringComparer.Ordinal)
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
            .Select(e => (JsonNode)e.ToJson())]);

    private static string? Text(JsonObject entry, string field) => entry[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new FormatException($"managedFields {field} must be a string"),
    };
}

/// <summary>Who writes: the field manager, the operation, and the subresource written through (if any).</summary>
public sealed record FieldOwner(string Manager, string Operation, string? Subresource);
