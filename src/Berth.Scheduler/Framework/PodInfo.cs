using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Scheduler.Framework;

/// <summary>A pod as the scheduler reads it: identity, spec, and what it claims of a node.</summary>
public sealed class PodInfo
{
    public PodInfo(JsonObject pod)
    {
        var metadata = pod["metadata"] as JsonObject ?? [];
        Namespace = metadata["namespace"]?.ToString() ?? "";
        Name = metadata["name"]?.ToString() ?? "";
        Uid = metadata["uid"]?.ToString() ?? "";
        Spec = pod["spec"] as JsonObject ?? [];
        Requests = PodRequests.Of(Spec);
        HostPorts = [.. HostPort.Of(Spec)];
        Priority = Spec["priority"] is JsonValue priority && priority.TryGetValue<int>(out var p) ? p : 0;
        Created = DateTimeOffset.TryParse(metadata["creationTimestamp"]?.ToString(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var created) ? created : DateTimeOffset.MinValue;
    }

    public string Namespace { get; }

    public string Name { get; }

    public string Key => $"{Namespace}/{Name}";

    public string Uid { get; }

    public JsonObject Spec { get; }

    public IReadOnlyDictionary<string, decimal> Requests { get; }

    public IReadOnlyList<HostPort> HostPorts { get; }

    public int Priority { get; }

    public DateTimeOffset Created { get; }
}
