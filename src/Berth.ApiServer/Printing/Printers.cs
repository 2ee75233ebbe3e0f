using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.Printing;

/// <summary>
/// Server-side printing: the Table form of objects that <c>kubectl get</c> asks for, with each kind's columns.
/// Kinds without a printer of their own get upstream's generic one (Name, Created At).
/// </summary>
internal sealed class Printers
{
    private static readonly Printer Generic = new(
        [TableColumn.NameColumn, new TableColumn("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.")],
        (o, _) => [Fields.Name(o), Fields.Text(o, "metadata.creationTimestamp")]);

    private readonly Dictionary<(string Group, string Plural), Printer> _printers = [];

    /// <summary>Printers of custom resources, made once per served version of a definition.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<CustomResourceVersion, Printer> _customPrinters = [];

    public Printers()
    {
        foreach (var (plural, printer) in CorePrinters.All())
            _printers[("", plural)] = printer;
        foreach (var (group, plural, printer) in WorkloadPrinters.All().Concat(OtherPrinters.All()))
            _printers[(group, plural)] = printer;
    }

    public Printer For(ResourceInfo resource) =>
        resource.Custom is { } custom ? _customPrinters.GetValue(custom, CustomResourcePrinter.For) : _printers.GetValueOrDefault((resource.Group, resource.Plural), Generic);

    /// <summary>Whether an Accept header asks for a meta.k8s.io Table (kubectl's human output does).</summary>
    public static bool WantsTable(string accept) =>
        accept.Contains("as=Table", StringComparison.Ordinal) && accept.Contains("g=meta.k8s.io", StringComparison.Ordinal);

    /// <summary>
    /// A Table of <paramref name="objects"/> (fresh copies: their metadata moves into the rows). Rows carry the object as PartialObjectMetadata (or whole, or not at
    /// all, as <c>includeObject</c> says): kubectl takes namespaces and labels from it.
    /// </summary>
    public JsonObject Table(ResourceInfo resource, IEnumerable<JsonObject> objects, JsonObject listMetadata, string? includeObject,
        DateTimeOffset now, bool withColumns = true)
    {
        var rows = new JsonArray();
        foreach (var obj in objects)
            rows.Add((JsonNode)Row(resource, obj, includeObject, now));
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata,
            ["columnDefinitions"] = withColumns ? Columns(resource) : null,
            ["rows"] = rows,
        };
    }

    /// <summary>The column definitions of <paramref name="resource"/>'s Table.</summary>
    public JsonArray Columns(ResourceInfo resource) => Columns(For(resource));

    /// <summary>One Table row: the cells, and the object as <c>includeObject</c> says (<paramref name="obj"/> is consumed).</summary>
    public JsonObject Row(ResourceInfo resource, JsonObject obj, string? includeObject, DateTimeOffset now) => new()
    {
        ["cells"] = new JsonArray([.. For(resource).Cells(obj, now)]),
        ["object"] = RowObject(obj, includeObject),
    };

    private static JsonArray Columns(Printer printer) => new([.. printer.Columns.Select(c => (JsonNode)new JsonObject
    {
        ["name"] = c.Name,
        ["type"] = c.Type,
        ["format"] = c.Format,
        ["description"] = c.Description,
        ["priority"] = c.Priority,
    })]);

    private static JsonObject? RowObject(JsonObject obj, string? includeObject)
    {
        switch (includeObject)
        {
            case "None":
                return null;
            case "Object":
                return obj;
            default:
                var metadata = obj["metadata"];
                obj.Remove("metadata");
                return new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = metadata };
        }
    }
}
