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
        switch (Resource)
        {
            // CPU and memory are read for every feasible node of every cycle: integers kept on the node and pod.
            case "cpu":
                return (nonZero ? node.NonZeroMilliCpu + pod.NonZeroMilliCpu : node.RequestedMilliCpu + pod.MilliCpu, node.AllocatableMilliCpu);
            case "memory":
                return (nonZero ? node.NonZeroMemory + pod.NonZeroMemory : node.RequestedMemory + pod.Memory, node.AllocatableMemory);
        }
        var podRequest = pod.Requests.GetValueOrDefault(Resource);
        if (podRequest == 0 && Resource != "ephemeral-storage")
            return (0, 0);
        return ((long)(node.Requested.GetValueOrDefault(Resource) + podRequest), (long)node.Allocatable.GetValueOrDefault(Resource));
    }
}
