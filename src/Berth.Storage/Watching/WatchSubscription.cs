using System.Threading.Channels;

namespace Berth.Storage.Watching;

/// <summary>
/// One watcher's live feed from a <see cref="WatchHub"/>: the responses for its key range, buffered up to a
/// bound. A watcher that falls further behind has its feed ended and catches up from the log instead, so a
/// slow reader never holds memory or the writer.
/// </summary>
internal sealed class WatchSubscription
{
    private readonly Channel<WatchResponse> _channel;
    private bool _offeredSinceProgress;
    private bool _overflowed;

    public WatchSubscription(string start, string end, int capacity)
    {
        Start = start;
        End = end;
        _channel = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Start { get; }

    public string End { get; }

    public ChannelReader<WatchResponse> Reader => _channel.Reader;

    public bool Covers(string key) =>
        string.CompareOrdinal(key, Start) >= 0 && string.CompareOrdinal(key, End) < 0;

    /// <summary>Offers a committed batch (the hub serialises its calls).</summary>
    public void Offer(IReadOnlyList<WatchEvent> events, long revision)
    {
        var matching = Filter(events);
        if (matching.Count == 0)
            return;
        _offeredSinceProgress = true;
        Write(new WatchResponse(revision, matching));
    }

    /// <summary>
    /// Tells the watcher the current revision if nothing was offered to it since the last time, or in any case when
    /// <paramref name="force"/>d (the hub serialises its calls).
    /// </summary>
    public void OfferProgress(long revision, bool force = false)
    {
        if (force || !_offeredSinceProgress)
            _channel.Writer.TryWrite(WatchResponse.Progress(revision));
        _offeredSinceProgress = false;
    }

    public void Close() => _channel.Writer.TryComplete();

    private void Write(WatchResponse response)
    {
        if (_overflowed || _channel.Writer.TryWrite(response))
            return;
        _overflowed = true;
        _channel.Writer.TryComplete();
    }

    private IReadOnlyList<WatchEvent> Filter(IReadOnlyList<WatchEvent> events)
    {
        // The common case is a batch wholly inside or outside the range: share the list, allocate nothing.
        var inside = 0;
        foreach (var e in events)
        {
            if (Covers(e.Kv.Key))
                inside++;
        }
        if (inside == events.Count || inside == 0)
            return inside == 0 ? [] : events;

        var matching = new List<WatchEvent>(inside);
        foreach (var e in events)
        {
            if (Covers(e.Kv.Key))
                matching.Add(e);
        }
        return matching;
    }
}
