namespace Berth.Agent.Stats;

/// <summary>A reading of CPU time used so far and memory in use now, at a time.</summary>
public readonly record struct Usage(DateTimeOffset Time, ulong CpuCoreNanoSeconds, ulong WorkingSetBytes)
{
    /// <summary>CPU used per second since <paramref name="earlier"/>, in billionths of a core; null when no time passed or the counter went back (a restart).</summary>
    public ulong? NanoCoresSince(Usage earlier)
    {
        var elapsed = (Time - earlier.Time).Ticks * 100L;
        if (elapsed <= 0 || CpuCoreNanoSeconds < earlier.CpuCoreNanoSeconds)
            return null;
        return (ulong)((CpuCoreNanoSeconds - earlier.CpuCoreNanoSeconds) * 1e9 / elapsed);
    }
}

/// <summary>A container's reading and whose it is.</summary>
public sealed record ContainerUsage(string Id, string PodNamespace, string PodName, string PodUid, string Container, Usage Usage);

/// <summary>Where the containers' readings come from (CRI's ListContainerStats for real containers).</summary>
public interface IContainerStats
{
    Task<IReadOnlyList<ContainerUsage>> ListAsync(CancellationToken cancellationToken);
}
