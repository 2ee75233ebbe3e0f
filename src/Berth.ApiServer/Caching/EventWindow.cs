namespace Berth.ApiServer.Caching;

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
