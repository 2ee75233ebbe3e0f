namespace Berth.Bench.Store;

internal sealed record StoreFigures(
    double Writes1PerSecond,
    double Writes64PerSecond,
    double ReadsPerSecond,
    double List10kMs,
    double WatchP50Ms,
    double WatchP99Ms,
    double UncompactedSizeMb,
    double CompactedSizeMb,
    double CompactionMaxWriteMs)
{
    public static IEnumerable<(string Name, double Sqlite, double Etcd)> Rows(StoreFigures s, StoreFigures e)
    {
        yield return ("durable writes/s, 1 writer", s.Writes1PerSecond, e.Writes1PerSecond);
        yield return ("durable writes/s, 64 writers", s.Writes64PerSecond, e.Writes64PerSecond);
        yield return ("point reads/s, 64 readers", s.ReadsPerSecond, e.ReadsPerSecond);
        yield return ("list all keys, ms (median of 5)", s.List10kMs, e.List10kMs);
        yield return ("watch delivery p50, ms", s.WatchP50Ms, e.WatchP50Ms);
        yield return ("watch delivery p99, ms", s.WatchP99Ms, e.WatchP99Ms);
        yield return ("size after updates, MB", s.UncompactedSizeMb, e.UncompactedSizeMb);
        yield return ("size after compaction, MB", s.CompactedSizeMb, e.CompactedSizeMb);
        yield return ("slowest write during compaction, ms", s.CompactionMaxWriteMs, e.CompactionMaxWriteMs);
    }
}
