namespace Berth.ApiServer.Caching;

/// <summary>
/// How much recent history a watch cache keeps for watches that start in the past, as upstream sizes its window: every
/// event of the last <paramref name="Freshness"/> (upstream's eventFreshDuration, 75 s), never fewer than
/// <paramref name="MinEvents"/> nor more than <paramref name="MaxEvents"/> (upstream's 100 × 1024). Keeping time, not
/// only a count, is what lets a watcher that was ended for falling behind under a burst of writes resume where it
/// stopped instead of listing everything again.
/// </summary>
public sealed record WatchWindowSize(int MinEvents, TimeSpan Freshness, int MaxEvents)
{
    /// <summary>
    /// At most 25,600 events, not upstream's 102,400: room for a watcher ended 10,000 behind to resume, where a burst
    /// of pod writes holding 102,400 old versions cost bench-density 350 MB of server memory.
    /// </summary>
    public static WatchWindowSize Default { get; } = new(10_000, TimeSpan.FromSeconds(75), 25 * 1024);
}

/// <summary>A watch cache's recent events, oldest first, trimmed to a <see cref="WatchWindowSize"/>. Not thread-safe: the cache's lock guards it.</summary>
internal sealed class EventWindow(WatchWindowSize size, TimeProvider clock)
{
    private readonly Queue<(CacheEvent Event, long At)> _events = new();

    /// <summary>The revision of the newest event that has left the window: a watch from before it cannot be served.</summary>
    public long OldestRevision { get; private set; }

    public void Add(CacheEvent e)
    {
        var now = clock.GetTimestamp();
        _events.Enqueue((e, now));
        while (_events.Count > size.MaxEvents || (_events.Count > size.MinEvents && clock.GetElapsedTime(_events.Peek().At, now) > size.Freshness))
            OldestRevision = _events.Dequeue().Event.Revision;
    }

    /// <summary>Forgets every event: the window starts at <paramref name="revision"/>.</summary>
    public void Reset(long revision)
    {
        _events.Clear();
        OldestRevision = revision;
    }

    /// <summary>The events after <paramref name="revision"/>, oldest first.</summary>
    public IEnumerable<CacheEvent> After(long revision)
    {
        foreach (var (e, _) in _events)
        {
            if (e.Revision > revision)
                yield return e;
        }
    }
}
