using System.Reflection;
using System.Text.Json.Nodes;

namespace Berth.Core.Patching;

/// <summary>
/// Which fields of the built-in kinds a strategic merge patch merges rather than replaces: lists merged by a key or
/// as sets, and the object fields that lead to them. Read from the embedded <c>PatchSchema.txt</c>.
/// </summary>
public sealed class PatchSchema
{
    private readonly Dictionary<string, Dictionary<string, PatchField>> _types;

    /// <summary>The field name that stands for every key of a map (an object whose keys are data, not fields).</summary>
    internal const string AnyKey = "*";

    internal PatchSchema(Dictionary<string, Dictionary<string, PatchField>> types)
    {
        _types = types;
    }

    public static PatchSchema BuiltIn { get; } = Load();

    /// <summary>The type of a kind's top-level object (every kind has at least its metadata described).</summary>
    public PatchType ForKind(string kind) => new(this, _types.ContainsKey(kind) ? kind : "*");

    internal PatchField? Field(string type, string field) =>
        _types.TryGetValue(type, out var fields) ? fields.GetValueOrDefault(field) ?? fields.GetValueOrDefault(AnyKey) : null;

    internal Dictionary<string, PatchField>? Fields(string type) => _types.GetValueOrDefault(type);

    /// <summary>
    /// A field's patch strategy and merge key as OpenAPI publishes them (<c>x-kubernetes-patch-strategy</c>,
    /// <c>x-kubernetes-patch-merge-key</c>), or nulls for a field merged as in a JSON merge patch.
    /// </summary>
    public (string? Strategy, string? MergeKey) Directives(string type, string field) => Field(type, field) switch
    {
        { Kind: PatchFieldKind.KeyedList or PatchFieldKind.Set, RetainKeys: var retain } f => (retain ? "merge,retainKeys" : "merge", f.MergeKey),
        { RetainKeys: true } => ("retainKeys", null),
        _ => (null, null),
    };

    internal static PatchSchema Parse(IEnumerable<string> lines)
    {
        var types = new Dictionary<string, Dictionary<string, PatchField>>(StringComparer.Ordinal);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var fields = new Dictionary<string, PatchField>(StringComparer.Ordinal);
            foreach (var spec in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var (name, value) = (spec[..spec.IndexOf('=', StringComparison.Ordinal)], spec[(spec.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                const string RetainKeys = "+retainKeys";
                var retainKeys = value.EndsWith(RetainKeys, StringComparison.Ordinal) || value == "retainKeys";
                value = value.EndsWith(RetainKeys, StringComparison.Ordinal) ? value[..^RetainKeys.Length] : value;
                fields[name] = value switch
                {
                    "retainKeys" => new PatchField(PatchFieldKind.Object, null, null, RetainKeys: true),
                    "atomic" => new PatchField(PatchFieldKind.Atomic, null, null),
                    "[set]" => new PatchField(PatchFieldKind.Set, null, null, retainKeys),
                    ['[', .., ']'] => KeyedList(Element(value[1..value.IndexOf('/', StringComparison.Ordinal)]), value[(value.IndexOf('/', StringComparison.Ordinal) + 1)..^1], retainKeys),
                    _ => new PatchField(PatchFieldKind.Object, value, null, retainKeys),
                };
            }
            types[line[..colon]] = fields;
        }
        return new PatchSchema(types);

        static string? Element(string type) => type == "-" ? null : type;
    }

    /// <summary>A keyed list from <c>key[,key[=default]...]</c>: the first key is the merge key, all of them identify an item.</summary>
    private static PatchField KeyedList(string? elementType, string keys, bool retainKeys)
    {
        var listKeys = keys.Split(',').Select(k => k.Split('=') is [var name, var fallback] ? new ListKey(name, JsonValue.Create(fallback)) : new ListKey(k, null)).ToList();
        return new PatchField(PatchFieldKind.KeyedList, elementType, listKeys[0].Name, retainKeys) { ListKeys = listKeys };
    }

    private static PatchSchema Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PatchSchema.txt")
            ?? throw new InvalidOperationException("PatchSchema.txt is not embedded");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return Parse(lines);
    }
}

/// <summary>A position in the schema: the type whose fields a part of an object has (or none).</summary>
public readonly record struct PatchType(PatchSchema? Schema, string? Name)
{
    public static PatchType None => default;

    internal PatchField? Field(string field) => Schema is null || Name is null ? null : Schema.Field(Name, field);

    internal PatchType Of(string? type) => type is null ? None : this with { Name = type };
}

internal enum PatchFieldKind
{
    Object,
    KeyedList,
    Set,

    /// <summary>An object owned and replaced as a whole by server-side apply; a strategic merge patch merges it as any object.</summary>
    Atomic,
}

/// <summary>One described field: an object of a type, an atomic object, a list of objects merged by a key, or a set of primitives.</summary>
internal sealed record PatchField(PatchFieldKind Kind, string? Type, string? MergeKey, bool RetainKeys = false)
{
    /// <summary>
    /// The fields that together identify an item of a keyed list for server-side apply (upstream's
    /// x-kubernetes-list-map-keys; a strategic merge patch uses the first alone), each with the value it takes when absent.
    /// </summary>
    public IReadOnlyList<ListKey> ListKeys { get; init; } = MergeKey is null ? [] : [new ListKey(MergeKey, null)];
}

/// <summary>A key field of a keyed list, and the value it takes when an item leaves it out (if it has one).</summary>
internal sealed record ListKey(string Name, JsonNode? Default);
