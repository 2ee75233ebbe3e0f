using System.Threading.Channels;

namespace Berth.ApiServer.Caching;

/// <summary>
/// One watch served from the cache: the events after its starting revision, buffered up to a bound. A watcher
/// that falls that far behind is ended (its client watches again from the last revision it saw), so a slow
/// client never holds the cache back or its memory.
/// </summary>
internal sealed class CacheWatcher
{
    private readonly Channel<CacheEvent> _events;

    public CacheWatcher(string prefix, int capacity)
    {
        Prefix = prefix;
        _events = Channel.CreateBounded<CacheEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    public string Prefix { get; }

    public ChannelReader<CacheEvent> Events => _events.Reader;

    /// <summary>Offers an event (only from the cache's single ingest loop, or while registering).</summary>
    public void Offer(CacheEvent e)
    {
        if (e.Type != CacheEventType.Progress && !(e.Object ?? e.Previous)!.Key.StartsWith(Prefix, StringComparison.Ordinal))
            return;
        if (!_events.Writer.TryWrite(e) && e.Type != CacheEventType.Progress)
            _events.Writer.TryComplete();
    }

    public void Close() => _events.Writer.TryComplete();
}
