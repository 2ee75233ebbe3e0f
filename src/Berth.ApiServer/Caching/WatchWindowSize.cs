namespace Berth.ApiServer.Caching;

/// <summary>
/// How much recent history a watch cache keeps for watches that start in the past, as upstream sizes its window: every
/// event of the last <paramref name="Freshness"/> (upstream's eventFreshDuration, 75 s), never fewer than
/// <paramref name="MinEvents"/> nor more than <paramref name="MaxEvents"/>. Keeping more than a watcher may fall
/// behind is what lets a watcher ended for falling behind under a burst of writes resume where it stopped instead of
/// listing everything again.
/// </summary>
public sealed record WatchWindowSize(int MinEvents, TimeSpan Freshness, int MaxEvents)
{
    /// <summary>
    /// At most 25,600 events, not upstream's 102,400: room for a watcher ended 10,000 behind to resume, where a burst
    /// of pod writes holding 102,400 old versions cost bench-density 350 MB of server memory.
    /// </summary>
    public static WatchWindowSize Default { get; } = new(10_000, TimeSpan.FromSeconds(75), 25 * 1024);
}
