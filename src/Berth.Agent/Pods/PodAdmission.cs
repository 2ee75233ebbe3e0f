using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Core.Quantities;

namespace Berth.Agent.Pods;

/// <summary>What an admitted pod holds on its node: its resource requests and host ports.</summary>
internal sealed record PodClaim(IReadOnlyDictionary<string, decimal> Requests, IReadOnlyList<HostPort> HostPorts)
{
    public static PodClaim Of(JsonObject podSpec) => new(PodRequests.Of(podSpec), [.. HostPort.Of(podSpec)]);
}

/// <summary>
/// The node's own check before it runs a pod bound to it, as upstream's kubelet admits pods: the pod fits beside the
/// pods already admitted (pods, CPU, memory, ephemeral storage, extended resources), its node selector and required
/// affinity still match the node, its host ports are free, and it tolerates the node's NoExecute taints. The first
/// failure is the reason the rejected pod shows (<c>OutOfcpu</c>, <c>NodeAffinity</c>, ...).
/// </summary>
internal static class PodAdmission
{
    /// <summary>The priority of system-critical pods, which the node never refuses nor evicts for pressure.</summary>
    public const long SystemCriticalPriority = 2_000_000_000;

    private static readonly string[] FirstResources = ["cpu", "memory", "ephemeral-storage"];

    /// <summary>Null when the pod may run; otherwise the status reason and message of its rejection.</summary>
    public static (string Reason, string Message)? Refusal(JsonObject podSpec, JsonObject node, IReadOnlyCollection<PodClaim> admitted)
    {
        var allocatable = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (name, value) in node["status"]?["allocatable"] as JsonObject ?? [])
        {
            if (Quantity.TryParse(value?.ToString(), out var quantity))
                allocatable[name] = quantity.Value;
        }

        var pods = (long)allocatable.GetValueOrDefault("pods");
        if (admitted.Count + 1 > pods)
            return Insufficient("pods", 1, admitted.Count, pods);
        var requests = PodRequests.Of(podSpec);
        foreach (var resource in FirstResources.Concat(requests.Keys.Except(FirstResources).Order(StringComparer.Ordinal)))
        {
            if (requests.GetValueOrDefault(resource) is var requested && requested <= 0)
                continue;
            var used = admitted.Sum(c => c.Requests.GetValueOrDefault(resource));
            var capacity = allocatable.GetValueOrDefault(resource);
            if (used + requested > capacity)
                return Insufficient(resource, Amount(resource, requested), Amount(resource, used), Amount(resource, capacity));
        }

        var labels = (node["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        if (!NodeSelection.Matches(podSpec, node["metadata"]?["name"]?.ToString() ?? "", labels))
            return Predicate("NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
        var taken = admitted.SelectMany(c => c.HostPorts).ToList();
        if (HostPort.Of(podSpec).Any(wanted => taken.Any(wanted.CollidesWith)))
            return Predicate("NodePorts", "node(s) didn't have free ports for the requested pod ports");
        var tolerations = podSpec["tolerations"] as JsonArray;
        if ((node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().Any(t => t["effect"]?.ToString() == "NoExecute" && !Tolerations.Tolerate(tolerations, t)))
            return Predicate("TaintToleration", "node(s) had untolerated taint(s)");
        return null;
    }

    /// <summary>
    /// Upstream's eviction admission: under memory pressure alone a BestEffort pod is refused (unless it tolerates the
    /// memory-pressure taint), under disk or process ID pressure every pod; system-critical pods always run.
    /// </summary>
    public static (string Reason, string Message)? PressureRefusal(JsonObject pod, JsonObject node)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        if (Priority(pod) >= SystemCriticalPriority)
            return null;
        var pressing = (node["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => c["status"]?.ToString() == "True" && c["type"]?.ToString() is "MemoryPressure" or "DiskPressure" or "PIDPressure")
            .Select(c => c["type"]!.ToString()).ToList();
        if (pressing.Any(c => c != "MemoryPressure"))
            return ("Evicted", $"The node had condition: [{string.Join(' ', pressing)}]. ");
        var memoryTaint = new JsonObject { ["key"] = "node.kubernetes.io/memory-pressure", ["effect"] = "NoSchedule" };
        if (pressing.Contains("MemoryPressure") && pod["status"]?["qosClass"]?.ToString() == "BestEffort" && !Tolerations.Tolerate(spec["tolerations"] as JsonArray, memoryTaint))
            return ("Evicted", "The node had condition: [MemoryPressure]. ");
        return null;
    }

    /// <summary>A pod's <c>spec.priority</c> (0 when unset), as admission has set it.</summary>
    public static long Priority(JsonObject pod) =>
        long.TryParse(pod["spec"]?["priority"]?.ToJsonString(), CultureInfo.InvariantCulture, out var priority) ? priority : 0;

    private static (string, string) Insufficient(string resource, long requested, long used, long capacity) =>
        ($"OutOf{resource}", string.Create(CultureInfo.InvariantCulture,
            $"Pod was rejected: Node didn't have enough resource: {resource}, requested: {requested}, used: {used}, capacity: {capacity}"));

    private static (string, string) Predicate(string name, string description) => (name, $"Pod was rejected: Predicate {name} failed: {description}");

    /// <summary>CPU counts in millicores, everything else in whole units, as upstream's messages do.</summary>
    private static long Amount(string resource, decimal value) => (long)(resource == "cpu" ? decimal.Ceiling(value * 1000) : decimal.Ceiling(value));
}
