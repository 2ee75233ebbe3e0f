using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Core.Selectors;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// One <c>topologySpreadConstraint</c> as the plugin applies it: its selector resolved (<c>matchLabelKeys</c> added
/// from the incoming pod's labels; null when none is given, which selects no pod), <c>minDomains</c> 1 unless given,
/// and the node inclusion policies read: <c>nodeAffinityPolicy</c> Honor and <c>nodeTaintsPolicy</c> Ignore unless given.
/// </summary>
public sealed record SpreadConstraint(
    int MaxSkew, string TopologyKey, string WhenUnsatisfiable, LabelSelector? Selector, int MinDomains, bool HonorNodeAffinity, bool HonorNodeTaints)
{
    public const string DoNotSchedule = "DoNotSchedule";
    public const string ScheduleAnyway = "ScheduleAnyway";

    /// <summary>The constraints of <paramref name="list"/> for <paramref name="action"/>, with selectors resolved against <paramref name="podLabels"/>.</summary>
    public static SpreadConstraint[] Of(JsonArray? list, IReadOnlyDictionary<string, string> podLabels, string action) =>
        [.. (list ?? []).OfType<JsonObject>().Where(c => c["whenUnsatisfiable"]?.ToString() == action).Select(c => FromJson(c, podLabels))];

    public static SpreadConstraint FromJson(JsonObject constraint, IReadOnlyDictionary<string, string> podLabels) => new(
        Int(constraint["maxSkew"]) ?? 0,
        constraint["topologyKey"]?.ToString() ?? "",
        constraint["whenUnsatisfiable"]?.ToString() ?? "",
        SelectorOf(constraint, podLabels),
        Int(constraint["minDomains"]) is > 0 and var minDomains ? minDomains : 1,
        constraint["nodeAffinityPolicy"]?.ToString() != "Ignore",
        constraint["nodeTaintsPolicy"]?.ToString() == "Honor");

    /// <summary>Whether the selector selects pods with <paramref name="labels"/>.</summary>
    public bool Selects(IReadOnlyDictionary<string, string> labels)
    {
        if (Selector is null)
            return false;
        var requirements = Selector.Requirements;
        for (var i = 0; i < requirements.Count; i++)
        {
            if (!requirements[i].Matches(labels))
                return false;
        }
        return true;
    }

    /// <summary>What the constraint counts for a pod of namespace <paramref name="ns"/>: null if it selects nothing.</summary>
    public SelectedPods? Counted(string ns) => Selector is null ? null : new SelectedPods(ns, Selector);

    /// <summary>
    /// Whether <paramref name="node"/>'s domain counts for the pod under the inclusion policies: it matches the pod's
    /// nodeSelector and required node affinity (<paramref name="matchesAffinity"/>) if those are honoured, and carries
    /// no NoSchedule or NoExecute taint the pod does not tolerate if taints are.
    /// </summary>
    public bool Includes(PodInfo pod, NodeInfo node, bool matchesAffinity)
    {
        if (HonorNodeAffinity && !matchesAffinity)
            return false;
        if (!HonorNodeTaints)
            return true;
        foreach (var taint in node.Taints)
        {
            if (taint.KeepsOff && !Tolerations.Tolerate(pod.Tolerations, taint))
                return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="labels"/> hold every constraint's topology key.</summary>
    public static bool HasAllKeys(IReadOnlyDictionary<string, string> labels, SpreadConstraint[] constraints)
    {
        foreach (var constraint in constraints)
        {
            if (!labels.ContainsKey(constraint.TopologyKey))
                return false;
        }
        return true;
    }

    /// <summary>
    /// The label selector, with <c>key In (value)</c> added for each of <c>matchLabelKeys</c> the pod has. No selector
    /// (or one Berth cannot read) selects nothing, and stays so.
    /// </summary>
    private static LabelSelector? SelectorOf(JsonObject constraint, IReadOnlyDictionary<string, string> podLabels)
    {
        if (constraint["labelSelector"] is not JsonObject given)
            return null;
        var selector = given.DeepClone().AsObject();
        var expressions = selector["matchExpressions"] as JsonArray ?? [];
        selector["matchExpressions"] = expressions;
        foreach (var key in (constraint["matchLabelKeys"] as JsonArray ?? []).Select(k => k?.ToString() ?? ""))
        {
            if (podLabels.TryGetValue(key, out var value))
                expressions.Add((JsonNode)new JsonObject { ["key"] = key, ["operator"] = "In", ["values"] = new JsonArray(value) });
        }
        return LabelSelector.FromJson(selector);
    }

    private static int? Int(JsonNode? value) => value is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
}
