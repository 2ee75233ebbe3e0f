namespace Berth.Agent.Nodes;

/// <summary>
/// How often a node proves it is alive, as upstream's kubelet: the Lease every 10 s (valid for 40), the full status
/// at least every 5 minutes; the wait before trying again after the API server could not be reached.
/// </summary>
public sealed record NodeAgentTiming(TimeSpan LeaseRenewal, TimeSpan LeaseDuration, TimeSpan StatusReport, TimeSpan Retry)
{
    public static NodeAgentTiming Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1));
}
