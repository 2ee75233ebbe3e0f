using System.Collections.Immutable;

namespace Berth.Storage.Watching;

/// <summary>
/// Fans committed writes out to live watchers, in revision order. The single writer publishes each committed
/// batch once; every subscription filters it to its own key range. Now and then the hub also tells idle
/// watchers the current revision (progress), in the same order as the events, so it never runs ahead of them.
/// </summary>
internal sealed class WatchHub(long revision)
{
    private readonly Lock _gate = new();
    private ImmutableArray<WatchSubscription> _subscriptions = [];
    private long _publishedRevision = revision;
    private long _requestedRevision = -1;

    public WatchSubscription Subscribe(string start, string end, int capacity)
    {
        var subscription = new WatchSubscription(start, end, capacity);
        lock (_gate)
            _subscriptions = _subscriptions.Add(subscription);
        return subscription;
    }

    public void Unsubscribe(WatchSubscription subscription)
    {
        lock (_gate)
            _subscriptions = _subscriptions.Remove(subscription);
        subscription.Close();
    }

    public void Publish(IReadOnlyList<WatchEvent> events, long revision)
    {
        lock (_gate)
        {
            if (events.Count > 0)
            {
                foreach (var subscription in _subscriptions)
                    subscription.Offer(events, revision);
            }
            _publishedRevision = revision;
        }
    }

    /// <summary>Sends the current revision to every watcher that was offered nothing since the previous call.</summary>
    public void PublishProgress()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
                subscription.OfferProgress(_publishedRevision);
        }
    }

    /// <summary>
    /// Sends the current revision to every watcher now, whatever it was offered (on request, for a reader waiting
    /// to catch up). Requests are answered once per revision: a second one before the next write adds nothing.
    /// </summary>
    public void PublishRequestedProgress()
    {
        lock (_gate)
        {
            if (_requestedRevision == _publishedRevision)
                return;
            _requestedRevision = _publishedRevision;
            foreach (var subscription in _subscriptions)
                subscription.OfferProgress(_publishedRevision, force: true);
        }
    }

    public void CloseAll()
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
                subscription.Close();
            _subscriptions = [];
        }
    }
}
