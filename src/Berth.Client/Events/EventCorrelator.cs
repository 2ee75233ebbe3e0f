namespace Berth.Client.Events;

/// <summary>
/// Decides what becomes of each event a recorder is given, with upstream's rules, so that a busy controller does not
/// write an Event per pod and <c>kubectl describe</c> shows what upstream's would:
/// <list type="bullet">
/// <item>a repeat of an event already written (same object, field path, type, reason and message) counts again on it;</item>
/// <item>the tenth distinct message with the same object, type and reason within 10 minutes starts one combined event
/// (<c>(combined from similar events): </c> and the latest message), on which the later ones count;</item>
/// <item>a recorder may write 25 events about one object at once, then one every 5 minutes; the rest are dropped
/// (still counted, so the next one written carries the true count).</item>
/// </list>
/// What it remembers is bounded: the 4,096 most recently used entries of each kind.
/// </summary>
public sealed class EventCorrelator
{
    private const string CombinedPrefix = "(combined from similar events): ";
    private const int MaxEntries = 4096;
    private const int SimilarBeforeCombining = 10;
    private static readonly TimeSpan SimilarWithin = TimeSpan.FromMinutes(10);
    private const int Burst = 25;
    private const double RefillPerSecond = 1.0 / 300;

    private readonly LruCache<ObjectKey, TokenBucket> _budgets = new(MaxEntries);
    private readonly LruCache<(ObjectKey, string Type, string Reason), SimilarMessages> _similar = new(MaxEntries);
    private readonly LruCache<object, Written> _written = new(MaxEntries);

    /// <summary>
    /// The event to write for an occurrence of (<paramref name="involved"/>, <paramref name="type"/>,
    /// <paramref name="reason"/>, <paramref name="message"/>) at <paramref name="at"/>, or null if it is dropped.
    /// <paramref name="newName"/> names it if it is a new event.
    /// </summary>
    public Correlated? Correlate(ObjectKey involved, string fieldPath, string type, string reason, string message, DateTimeOffset at, string newName)
    {
        var key = (object)(involved, fieldPath, type, reason, message);
        var similarKey = (involved, type, reason);
        if (!_similar.TryGet(similarKey, out var similar) || at - similar.Last > SimilarWithin)
            similar = new SimilarMessages();
        similar.Messages.Add(message);
        similar.Last = at;
        _similar.Set(similarKey, similar);
        if (similar.Messages.Count >= SimilarBeforeCombining)
        {
            // Keeps the set at its limit, as upstream does, so that every later distinct message still combines.
            similar.Messages.Remove(message);
            key = similarKey;
            message = CombinedPrefix + message;
        }

        var written = _written.TryGet(key, out var before)
            ? before with { Count = before.Count + 1 }
            : new Written(newName, 1, at);
        _written.Set(key, written);

        if (!_budgets.TryGet(involved, out var budget))
            budget = new TokenBucket(Burst, at);
        _budgets.Set(involved, budget);
        if (!budget.TryTake(at))
            return null;
        return new Correlated(written.Name, message, written.Count, written.First, IsRepeat: written.Count > 1);
    }

    /// <summary>The object an event is about, as its involvedObject names it.</summary>
    public readonly record struct ObjectKey(string ApiVersion, string Kind, string Namespace, string Name, string Uid);

    /// <summary>What to write: a new event (count 1) or a count on the event already written under that name.</summary>
    public sealed record Correlated(string Name, string Message, int Count, DateTimeOffset FirstTimestamp, bool IsRepeat);

    private sealed record Written(string Name, int Count, DateTimeOffset First);

    private sealed class SimilarMessages
    {
        public HashSet<string> Messages { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset Last { get; set; }
    }

    /// <summary>A budget of events that refills at <see cref="RefillPerSecond"/> up to <see cref="Burst"/>.</summary>
    private sealed class TokenBucket(double tokens, DateTimeOffset at)
    {
        private double _tokens = tokens;
        private DateTimeOffset _at = at;

        public bool TryTake(DateTimeOffset now)
        {
            if (now > _at)
            {
                _tokens = Math.Min(Burst, _tokens + ((now - _at).TotalSeconds * RefillPerSecond));
                _at = now;
            }
            if (_tokens < 1)
                return false;
            _tokens--;
            return true;
        }
    }
}
