namespace Berth.Controllers.PodGc;

/// <summary>
/// How the pod garbage collector runs: how often it looks (upstream: every 20 s), how long a node must stay missing
/// before its pods are taken as orphans (40 s), and how many finished pods may stay (kube-controller-manager's
/// <c>--terminated-pod-gc-threshold</c>, 12,500).
/// </summary>
public sealed record PodGcOptions(TimeSpan Period, TimeSpan Quarantine, int TerminatedThreshold)
{
    public static PodGcOptions Default { get; } = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), 12_500);
}
