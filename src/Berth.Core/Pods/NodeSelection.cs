using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>
/// Whether a node satisfies a pod's <c>nodeSelector</c> and required node affinity, as the scheduler's NodeAffinity
/// plugin and the node's own admission decide it: every nodeSelector label, and any one of the selector terms. Read
/// from the spec once, then asked of many nodes without touching JSON again.
/// </summary>
public sealed class NodeSelection
{
    private readonly KeyValuePair<string, string>[] _labels;

    /// <summary>The required terms; null when the pod states none (every node passes), empty when it states an empty list.</summary>
    private readonly NodeSelectorTerm[]? _terms;

    private NodeSelection(KeyValuePair<string, string>[] labels, NodeSelectorTerm[]? terms)
    {
        _labels = labels;
        _terms = terms;
    }

    /// <summary>Whether the pod asks anything of its node: with nothing asked, every node matches.</summary>
    public bool IsEmpty => _labels.Length == 0 && _terms is null;

    public static NodeSelection Of(JsonObject podSpec)
    {
        KeyValuePair<string, string>[] labels = [.. (podSpec["nodeSelector"] as JsonObject ?? []).Select(l => KeyValuePair.Create(l.Key, l.Value?.ToString() ?? ""))];
        var required = podSpec["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonObject;
        NodeSelectorTerm[]? terms = required is null ? null : [.. (required["nodeSelectorTerms"] as JsonArray ?? []).OfType<JsonObject>().Select(NodeSelectorTerm.Of)];
        return new NodeSelection(labels, terms);
    }

    public static bool Matches(JsonObject podSpec, string nodeName, IReadOnlyDictionary<string, string> nodeLabels) =>
        Of(podSpec).Matches(nodeName, nodeLabels);

    public bool Matches(string nodeName, IReadOnlyDictionary<string, string> nodeLabels)
    {
        foreach (var (key, value) in _labels)
        {
            if (!nodeLabels.TryGetValue(key, out var actual) || actual != value)
                return false;
        }
        if (_terms is null)
            return true;
        foreach (var term in _terms)
        {
            if (term.Matches(nodeName, nodeLabels))
                return true;
        }
        return false;
    }
}

/// <summary>
/// One NodeSelectorTerm: all its label expressions and field expressions hold. A term with neither matches no node,
/// as upstream has it.
/// </summary>
public sealed class NodeSelectorTerm
{
    private readonly NodeRequirement[] _expressions;
    private readonly NodeRequirement[] _fields;

    private NodeSelectorTerm(NodeRequirement[] expressions, NodeRequirement[] fields)
    {
        _expressions = expressions;
        _fields = fields;
    }

    public static NodeSelectorTerm Of(JsonObject term) => new(
        [.. (term["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().Select(NodeRequirement.Of)],
        [.. (term["matchFields"] as JsonArray ?? []).OfType<JsonObject>().Select(NodeRequirement.Of)]);

    public bool Matches(string nodeName, IReadOnlyDictionary<string, string> nodeLabels)
    {
        if (_expressions.Length == 0 && _fields.Length == 0)
            return false;
        foreach (var expression in _expressions)
        {
            if (!expression.Holds(nodeLabels.TryGetValue(expression.Key, out var value) ? value : null))
                return false;
        }
        foreach (var field in _fields)
        {
            // metadata.name is the only field a node can be selected by.
            if (field.Key != "metadata.name" || !field.Holds(nodeName))
                return false;
        }
        return true;
    }
}

/// <summary>A NodeSelectorRequirement: a key, an operator and its values.</summary>
internal sealed record NodeRequirement(string Key, string Operator, string[] Values)
{
    public static NodeRequirement Of(JsonObject requirement) => new(
        requirement["key"]?.ToString() ?? "",
        requirement["operator"]?.ToString() ?? "",
        [.. (requirement["values"] as JsonArray ?? []).Select(v => v?.ToString() ?? "")]);

    /// <summary>Against the value found (null: the label is absent).</summary>
    public bool Holds(string? value) => Operator switch
    {
        "In" => value is not null && Values.Contains(value),
        "NotIn" => value is null || !Values.Contains(value),
        "Exists" => value is not null,
        "DoesNotExist" => value is null,
        "Gt" => Compare(value) > 0,
        "Lt" => Compare(value) is < 0 and not int.MinValue,
        _ => false,
    };

    /// <summary>The label's integer value against the single value given; int.MinValue when either is not an integer.</summary>
    private int Compare(string? value) =>
        value is not null && Values is [var limit]
        && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
        && long.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)
            ? actual.CompareTo(bound)
            : int.MinValue;
}
