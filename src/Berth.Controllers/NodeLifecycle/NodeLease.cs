using System.Text.Json;

namespace Berth.Controllers.NodeLifecycle;

/// <summary>A node's Lease in <c>kube-node-lease</c>, by its renew time: the heartbeat agents send every 10 s.</summary>
internal sealed record NodeLease(string Name, string? RenewTime)
{
    public const string Namespace = "kube-node-lease";

    public static NodeLease Read(JsonElement lease) => new(
        lease.GetProperty("metadata").GetProperty("name").GetString()!,
        lease.TryGetProperty("spec", out var spec) && spec.TryGetProperty("renewTime", out var renewed) ? renewed.GetString() : null);
}
