namespace Berth.Bench.Store;

/// <summary>How big each part of the workload is; Quick is for checking the benchmark itself runs.</summary>
internal sealed record WorkloadSize(int SerialWrites, int ConcurrentWrites, int Reads, int ListKeys, int Watchers, int WatchedWrites, int UpdateKeys, int Updates)
{
    public static WorkloadSize Full { get; } = new(2_000, 32_000, 200_000, 10_000, 1_000, 200, 1_000, 100_000);

    public static WorkloadSize Quick { get; } = new(200, 3_200, 10_000, 1_000, 100, 20, 100, 5_000);
}
