using Berth.Agent.Cri.Protocol;
using Berth.Agent.Stats;

namespace Berth.Agent.Cri;

/// <summary>The containers' readings from CRI's ListContainerStats, named by the pod labels the agent gave them.</summary>
public sealed class CriStats(CriRuntime runtime) : IContainerStats
{
    public async Task<IReadOnlyList<ContainerUsage>> ListAsync(CancellationToken cancellationToken)
    {
        var response = await runtime.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest(), cancellationToken: cancellationToken);
        var usages = new List<ContainerUsage>(response.Stats.Count);
        foreach (var stats in response.Stats)
        {
            var labels = stats.Attributes?.Labels;
            if (labels is null || stats.Cpu?.UsageCoreNanoSeconds is null || stats.Memory?.WorkingSetBytes is null
                || !labels.TryGetValue(SandboxConfigs.PodNamespaceLabel, out var ns) || !labels.TryGetValue(SandboxConfigs.PodNameLabel, out var pod)
                || !labels.TryGetValue(SandboxConfigs.PodUidLabel, out var uid))
            {
                continue;
            }
            var time = DateTimeOffset.UnixEpoch.AddTicks(stats.Cpu.Timestamp / 100);
            usages.Add(new ContainerUsage(stats.Attributes!.Id, ns, pod, uid, stats.Attributes.Metadata?.Name ?? "",
                new Usage(time, stats.Cpu.UsageCoreNanoSeconds.Value, stats.Memory.WorkingSetBytes.Value)));
        }
        return usages;
    }
}
