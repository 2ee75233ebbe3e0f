using System.Text.Json.Nodes;
using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// One pod (anti-)affinity term, resolved against the pod that declares it: the pods it selects (label selector,
/// with <c>matchLabelKeys</c>/<c>mismatchLabelKeys</c> filled in from the declaring pod's labels), the namespaces it
/// looks in (the listed ones and those the namespace selector picks; the pod's own when neither is given), the
/// topology key that groups nodes, and its weight (1 for required terms).
/// </summary>
public sealed record AffinityTerm(LabelSelector Selector, IReadOnlySet<string> Namespaces, LabelSelector? NamespaceSelector, string TopologyKey, int Weight)
{
    /// <summary>The one namespace the term names, when it names one and no selector: most terms (their pod's own).</summary>
    private readonly string? _onlyNamespace = NamespaceSelector is null && Namespaces.Count == 1 ? Namespaces.First() : null;

    /// <summary>
    /// Whether <paramref name="pod"/> is one of the pods this term selects. Asked of every placed pod in every cycle of
    /// a pod with (anti-)affinity, so a term naming one namespace compares it rather than hashing.
    /// </summary>
    public bool Matches(PodInfo pod, NamespaceLabels namespaces) =>
        (_onlyNamespace is { } only
            ? string.Equals(only, pod.Namespace, StringComparison.Ordinal)
            : Namespaces.Contains(pod.Namespace) || (NamespaceSelector is { } selector && selector.Matches(namespaces.Of(pod.Namespace))))
        && Selector.Matches(pod.Labels);

    public static IReadOnlyList<AffinityTerm> Required(JsonNode? rules, PodInfo owner) =>
        [.. (rules?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>().Select(t => Parse(t, owner, 1))];

    public static IReadOnlyList<AffinityTerm> Preferred(JsonNode? rules, PodInfo owner) =>
        [.. (rules?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(w => w["podAffinityTerm"] is JsonObject)
            .Select(w => Parse(w["podAffinityTerm"]!.AsObject(), owner, w["weight"] is JsonValue v && v.TryGetValue<int>(out var weight) ? weight : 0))];

    private static AffinityTerm Parse(JsonObject term, PodInfo owner, int weight)
    {
        var namespaces = new HashSet<string>((term["namespaces"] as JsonArray ?? []).Select(n => n?.ToString() ?? ""), StringComparer.Ordinal);
        var namespaceSelector = term["namespaceSelector"] is JsonObject ns ? LabelSelector.FromJson(ns) ?? LabelSelector.Nothing : null;
        if (namespaces.Count == 0 && namespaceSelector is null)
            namespaces.Add(owner.Namespace);
        return new AffinityTerm(SelectorOf(term, owner), namespaces, namespaceSelector, term["topologyKey"]?.ToString() ?? "", weight);
    }

    /// <summary>The term's label selector (none selects nothing), narrowed by the owner's values for matchLabelKeys and mismatchLabelKeys.</summary>
    private static LabelSelector SelectorOf(JsonObject term, PodInfo owner)
    {
        if (term["labelSelector"] is not JsonObject given)
            return LabelSelector.Nothing;
        var selector = given.DeepClone().AsObject();
        var expressions = selector["matchExpressions"] as JsonArray ?? [];
        selector["matchExpressions"] = expressions;
        foreach (var (field, op) in new[] { ("matchLabelKeys", "In"), ("mismatchLabelKeys", "NotIn") })
        {
            foreach (var key in (term[field] as JsonArray ?? []).Select(k => k?.ToString() ?? ""))
            {
                if (owner.Labels.TryGetValue(key, out var value))
                    expressions.Add((JsonNode)new JsonObject { ["key"] = key, ["operator"] = op, ["values"] = new JsonArray(value) });
            }
        }
        return LabelSelector.FromJson(selector) ?? LabelSelector.Nothing;
    }
}
