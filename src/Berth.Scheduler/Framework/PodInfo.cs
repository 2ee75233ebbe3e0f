using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Scheduler.Framework;

/// <summary>
/// A pod as the scheduler reads it: identity, labels, what it claims of a node, its priority and its pod
/// (anti-)affinity terms, parsed once. The pod waiting to be placed keeps its whole spec for the plugins; pods already
/// placed keep only what other pods' rules ask about, so that tens of thousands of them stay small.
/// </summary>
public sealed class PodInfo
{
    /// <summary>What upstream counts for a container that requests no CPU or memory when it scores nodes.</summary>
    private const decimal DefaultCpu = 0.1m;

    private const decimal DefaultMemory = 200m * 1024 * 1024;

    private NodeSelection? _nodeSelection;
    private Toleration[]? _tolerations;

    public PodInfo(JsonObject pod, bool keepSpec = true)
    {
        var metadata = pod["metadata"] as JsonObject ?? [];
        var spec = pod["spec"] as JsonObject ?? [];
        Namespace = metadata["namespace"]?.ToString() ?? "";
        Name = metadata["name"]?.ToString() ?? "";
        Uid = metadata["uid"]?.ToString() ?? "";
        Labels = (metadata["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        Spec = keepSpec ? spec : [];
        NodeName = spec["nodeName"]?.ToString() ?? "";
        NominatedNodeName = pod["status"]?["nominatedNodeName"]?.ToString() ?? "";
        Requests = PodRequests.Of(spec);
        MilliCpu = (long)(Requests.GetValueOrDefault("cpu") * 1000);
        Memory = (long)Requests.GetValueOrDefault("memory");
        OtherRequests = [.. Requests.Where(r => r.Value > 0 && r.Key is not ("cpu" or "memory"))];
        NonZeroMilliCpu = (long)(NonZero(spec, "cpu", DefaultCpu) * 1000);
        NonZeroMemory = (long)NonZero(spec, "memory", DefaultMemory);
        HostPorts = [.. HostPort.Of(spec)];
        Volumes = PodVolumes.Of(spec);
        SchedulingGates = [.. (spec["schedulingGates"] as JsonArray ?? []).Select(g => g?["name"]?.ToString() ?? "")];
        Priority = spec["priority"] is JsonValue priority && priority.TryGetValue<int>(out var p) ? p : 0;
        PreemptsLowerPriority = spec["preemptionPolicy"]?.ToString() != "Never";
        Created = Time(metadata["creationTimestamp"]);
        Started = pod["status"]?["startTime"] is { } started ? Time(started) : Created;
        Terminating = metadata["deletionTimestamp"] is not null;
        Controller = keepSpec ? ControllerOf(metadata) : null;

        var affinity = spec["affinity"];
        RequiredAffinity = AffinityTerm.Required(affinity?["podAffinity"], this);
        RequiredAntiAffinity = AffinityTerm.Required(affinity?["podAntiAffinity"], this);
        PreferredAffinity = AffinityTerm.Preferred(affinity?["podAffinity"], this);
        PreferredAntiAffinity = AffinityTerm.Preferred(affinity?["podAntiAffinity"], this);
    }

    public string Namespace { get; }

    public string Name { get; }

    public string Key => $"{Namespace}/{Name}";

    public string Uid { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>The pod's spec; empty for pods already placed (see the class summary).</summary>
    public JsonObject Spec { get; }

    public string NodeName { get; }

    /// <summary>The node a preemption cleared for this pod, where it waits for its victims to go.</summary>
    public string NominatedNodeName { get; init; }

    /// <summary>Resource name → amount, as nodes admit pods (init containers, sidecars, overhead).</summary>
    public IReadOnlyDictionary<string, decimal> Requests { get; }

    /// <summary>The CPU requested in millicores and the memory in bytes: what scoring reads for every node, kept as integers.</summary>
    public long MilliCpu { get; }

    public long Memory { get; }

    /// <summary>The resources besides CPU and memory the pod asks for (more than none of).</summary>
    public KeyValuePair<string, decimal>[] OtherRequests { get; }

    /// <summary>CPU for scoring, in millicores: 100m for each container that asks for none, as upstream scores.</summary>
    public long NonZeroMilliCpu { get; }

    /// <summary>Memory for scoring, in bytes: 200Mi for each container that asks for none.</summary>
    public long NonZeroMemory { get; }

    public IReadOnlyList<HostPort> HostPorts { get; }

    public PodVolumes Volumes { get; }

    /// <summary>The names of the gates that hold the pod out of the queue (kept for pods without their spec too).</summary>
    public IReadOnlyList<string> SchedulingGates { get; }

    public int Priority { get; }

    /// <summary>Whether the pod may preempt others (<c>preemptionPolicy</c> is not <c>Never</c>).</summary>
    public bool PreemptsLowerPriority { get; }

    public DateTimeOffset Created { get; }

    /// <summary>When the pod started on its node (its creation if not yet): preemption spares the longest-running.</summary>
    public DateTimeOffset Started { get; }

    public bool Terminating { get; }

    /// <summary>The owner reference marked <c>controller</c> (a ReplicaSet, say); null for none, and for pods already placed.</summary>
    public OwnerReference? Controller { get; }

    public IReadOnlyList<AffinityTerm> RequiredAffinity { get; }

    public IReadOnlyList<AffinityTerm> RequiredAntiAffinity { get; }

    public IReadOnlyList<AffinityTerm> PreferredAffinity { get; }

    public IReadOnlyList<AffinityTerm> PreferredAntiAffinity { get; }

    /// <summary>The pod's nodeSelector and required node affinity, read from the spec on first use.</summary>
    public NodeSelection NodeSelection => _nodeSelection ??= NodeSelection.Of(Spec);

    /// <summary>The pod's tolerations, read from the spec on first use (none for pods already placed).</summary>
    public IReadOnlyList<Toleration> Tolerations => _tolerations ??= Berth.Core.Pods.Tolerations.ReadAll(Spec["tolerations"] as JsonArray);

    /// <summary>Whether the pod has terms that add to other pods' scores: required affinity (by hardPodAffinityWeight) or preferred terms.</summary>
    public bool HasScoringTerms => RequiredAffinity.Count + PreferredAffinity.Count + PreferredAntiAffinity.Count > 0;

    /// <summary>The app containers' requests of a resource, each container that asks for none counted as <paramref name="fallback"/>.</summary>
    private decimal NonZero(JsonObject spec, string resource, decimal fallback)
    {
        var missing = (spec["containers"] as JsonArray ?? []).OfType<JsonObject>().Count(c => c["resources"]?["requests"]?[resource] is null);
        return Requests.GetValueOrDefault(resource) + (missing * fallback);
    }

    private static OwnerReference? ControllerOf(JsonObject metadata) =>
        (metadata["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(o => o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController)
            .Select(o => new OwnerReference(o["apiVersion"]?.ToString() ?? "", o["kind"]?.ToString() ?? "", o["name"]?.ToString() ?? ""))
            .FirstOrDefault();

    private static DateTimeOffset Time(JsonNode? value) =>
        DateTimeOffset.TryParse(value?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : DateTimeOffset.MinValue;
}

/// <summary>Who owns a pod, as its <c>metadata.ownerReferences</c> name it: <c>apps/v1</c>, <c>ReplicaSet</c>, <c>web-5d8f</c>.</summary>
public sealed record OwnerReference(string ApiVersion, string Kind, string Name);
