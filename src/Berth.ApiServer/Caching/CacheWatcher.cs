using System.Threading.Channels;

namespace Berth.ApiServer.Caching;

/// <summary>
/// One watch served from the cache: the events after its starting revision, buffered up to a bound. A watcher
/// that falls that far behind is ended (its client watches again from the last revision it saw), so a slow
/// client never holds the cache back or its memory. Events about objects the watch's selectors take no interest in,
/// before or after, are dropped here, so a thousand node agents each watching their own pods are not all woken
/// for every pod (upstream's watch cache indexes its watchers for the same reason).
/// </summary>
internal sealed class CacheWatcher
{
    private readonly Channel<CacheEvent> _events;
    private readonly Func<CachedObject?, bool>? _interest;
    private volatile bool _fellBehind;

    public CacheWatcher(string prefix, int capacity, Func<CachedObject?, bool>? interest = null)
    {
        Prefix = prefix;
        _interest = interest;
        _events = Channel.CreateBounded<CacheEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    public string Prefix { get; }

    /// <summary>Who watches, for the log when the watcher is ended.</summary>
    public string Who { get; init; } = "";

    public ChannelReader<CacheEvent> Events => _events.Reader;

    /// <summary>
    /// Whether the watcher was ended for falling too far behind. What it still has queued is then dropped, not sent
    /// (as upstream drops it): its client asks for the same events again from where it got to, and sending them
    /// first only made it ask later, by then from further back than the cache keeps.
    /// </summary>
    public bool FellBehind => _fellBehind;

    /// <summary>
    /// Offers an event (only from the single loop that feeds it, or while registering); false when this event found
    /// the watcher's buffer full and ended it.
    /// </summary>
    public bool Offer(CacheEvent e)
    {
        if (e.Type is not (CacheEventType.Progress or CacheEventType.Expired)
            && (!(e.Object ?? e.Previous)!.Key.StartsWith(Prefix, StringComparison.Ordinal) || (_interest is not null && !_interest(e.Object) && !_interest(e.Previous))))
        {
            return true;
        }
        if (_events.Writer.TryWrite(e) || e.Type == CacheEventType.Progress)
            return true;
        _fellBehind = true;
        return !_events.Writer.TryComplete();
    }

    /// <summary>Ends the feed; with <paramref name="error"/>, the watch's reader gets it after what is queued.</summary>
    public void Close(Exception? error = null) => _events.Writer.TryComplete(error);
}
