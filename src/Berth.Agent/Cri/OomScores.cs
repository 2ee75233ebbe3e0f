using System.Text.Json.Nodes;
using Berth.Core.Quantities;

namespace Berth.Agent.Cri;

/// <summary>
/// Whom the kernel kills first when the machine runs out of memory, by the pod's QoS class, as upstream's kubelet
/// sets a container's <c>oom_score_adj</c>: Guaranteed almost never (-997), BestEffort first (1000), Burstable in
/// between, the more it requests of the machine's memory the later. containerd raises a score below its own to its
/// own (<c>restrict_oom_score_adj</c>), so a Guaranteed container ends up as safe as containerd.
/// </summary>
internal static class OomScores
{
    private const long Guaranteed = -997, BestEffort = 1000;

    public static long For(JsonObject pod, JsonObject container, long memoryCapacity)
    {
        switch (pod["status"]?["qosClass"]?.ToString())
        {
            case "Guaranteed":
                return Guaranteed;
            case "BestEffort" or null:
                return BestEffort;
        }
        var request = Quantity.TryParse(container["resources"]?["requests"]?["memory"]?.ToString(), out var memory) ? (long)memory.Value : 0;
        var score = 1000 - 1000 * request / Math.Max(memoryCapacity, 1);
        // Below every Guaranteed container's 1000 + -997, and never as doomed as BestEffort.
        return Math.Clamp(score, 1000 + Guaranteed, BestEffort - 1);
    }
}
