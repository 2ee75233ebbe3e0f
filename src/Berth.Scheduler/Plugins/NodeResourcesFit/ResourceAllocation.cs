using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// A resource a node's score is computed from, and its weight; and what the node would have requested of it once the
/// pod is there, in upstream's integer units (CPU in millicores, the rest as counted), against what it allocates.
/// </summary>
public sealed record ResourceAllocation(string Resource, long Weight)
{
    public static IReadOnlyList<ResourceAllocation> CpuAndMemory { get; } = [new("cpu", 1), new("memory", 1)];

    /// <summary>
    /// Requested (with the pod) and allocatable of this resource on the node; (0, 0) when the node has none of it, or
    /// for an extended resource the pod does not ask for. With <paramref name="nonZero"/>, CPU and memory count
    /// containers that request none as upstream's defaults (LeastAllocated and the like); without, as requested
    /// (BalancedAllocation).
    /// </summary>
    public (long Requested, long Allocatable) On(NodeInfo node, PodInfo pod, bool nonZero)
    {
        var allocatable = node.Allocatable.GetValueOrDefault(Resource);
        var podRequest = pod.Requests.GetValueOrDefault(Resource);
        decimal requested;
        switch (Resource)
        {
            case "cpu" when nonZero:
                requested = node.NonZeroCpu + pod.NonZeroCpu;
                break;
            case "memory" when nonZero:
                requested = node.NonZeroMemory + pod.NonZeroMemory;
                break;
            case "cpu" or "memory" or "ephemeral-storage":
                requested = node.Requested.GetValueOrDefault(Resource) + podRequest;
                break;
            default:
                if (podRequest == 0)
                    return (0, 0);
                requested = node.Requested.GetValueOrDefault(Resource) + podRequest;
                break;
        }
        var scale = Resource == "cpu" ? 1000 : 1;
        return ((long)(requested * scale), (long)(allocatable * scale));
    }
}
