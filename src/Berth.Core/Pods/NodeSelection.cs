using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Core.Pods;

/// <summary>
/// Whether a node satisfies a pod's <c>nodeSelector</c> and required node affinity, as the scheduler's NodeAffinity
/// plugin and the node's own admission decide it: every nodeSelector label, and any one of the selector terms.
/// </summary>
public static class NodeSelection
{
    public static bool Matches(JsonObject podSpec, string nodeName, IReadOnlyDictionary<string, string> nodeLabels)
    {
        foreach (var (key, value) in podSpec["nodeSelector"] as JsonObject ?? [])
        {
            if (!nodeLabels.TryGetValue(key, out var actual) || actual != value?.ToString())
                return false;
        }
        return podSpec["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] is not JsonObject required
            || (required["nodeSelectorTerms"] as JsonArray ?? []).OfType<JsonObject>().Any(term => MatchesTerm(term, nodeName, nodeLabels));
    }

    /// <summary>
    /// One NodeSelectorTerm: all its label expressions and field expressions hold. A term with neither matches no
    /// node, as upstream has it.
    /// </summary>
    public static bool MatchesTerm(JsonObject term, string nodeName, IReadOnlyDictionary<string, string> nodeLabels)
    {
        var expressions = (term["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var fields = (term["matchFields"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (expressions.Count == 0 && fields.Count == 0)
            return false;
        return expressions.All(e => Holds(e, nodeLabels.TryGetValue(e["key"]?.ToString() ?? "", out var value) ? value : null))
            && fields.All(f => f["key"]?.ToString() == "metadata.name" && Holds(f, nodeName));
    }

    /// <summary>A NodeSelectorRequirement against the value found (null: the label is absent).</summary>
    private static bool Holds(JsonObject requirement, string? value)
    {
        var values = (requirement["values"] as JsonArray ?? []).Select(v => v?.ToString() ?? "").ToList();
        return requirement["operator"]?.ToString() switch
        {
            "In" => value is not null && values.Contains(value),
            "NotIn" => value is null || !values.Contains(value),
            "Exists" => value is not null,
            "DoesNotExist" => value is null,
            "Gt" => Compare(value, values) > 0,
            "Lt" => Compare(value, values) is < 0 and not int.MinValue,
            _ => false,
        };
    }

    /// <summary>The label's integer value against the single value given; int.MinValue when either is not an integer.</summary>
    private static int Compare(string? value, List<string> values) =>
        value is not null && values is [var limit]
        && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
        && long.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)
            ? actual.CompareTo(bound)
            : int.MinValue;
}
