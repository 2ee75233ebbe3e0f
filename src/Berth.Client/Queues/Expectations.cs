namespace Berth.Client.Queues;

/// <summary>
/// What a controller is waiting to see of its own writes, per controller key (upstream's "expectations"): how many
/// creations, and which deletions (by object key, so that a deletion seen twice counts once). Until its informer has
/// shown them all, the controller must not count the objects again, or it would create or delete a second time. An
/// expectation left unmet for five minutes lapses (a watch event lost for good must not stop a controller forever).
/// </summary>
public sealed class Expectations(TimeProvider time)
{
    private static readonly TimeSpan Lapse = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    /// <summary>Whether the controller has seen everything it expects for <paramref name="key"/> (or waited long enough).</summary>
    public bool Satisfied(string key)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var pending))
                return true;
            if (pending.Creations <= 0 && pending.Deletions.Count == 0)
                return true;
            return time.GetUtcNow() - pending.Since > Lapse;
        }
    }

    public void ExpectCreations(string key, int count)
    {
        lock (_gate)
            _pending[key] = new Pending(count, [], time.GetUtcNow());
    }

    public void ExpectDeletions(string key, IEnumerable<string> objectKeys)
    {
        lock (_gate)
            _pending[key] = new Pending(0, new HashSet<string>(objectKeys, StringComparer.Ordinal), time.GetUtcNow());
    }

    /// <summary>A creation seen (or given up on: the request failed or was never sent).</summary>
    public void CreationObserved(string key)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var pending))
                pending.Creations--;
        }
    }

    /// <summary>A deletion seen (or given up on).</summary>
    public void DeletionObserved(string key, string objectKey)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var pending))
                pending.Deletions.Remove(objectKey);
        }
    }

    /// <summary>The controller's object is gone: nothing more to wait for.</summary>
    public void Forget(string key)
    {
        lock (_gate)
            _pending.Remove(key);
    }

    private sealed class Pending(int creations, HashSet<string> deletions, DateTimeOffset since)
    {
        public int Creations { get; set; } = creations;

        public HashSet<string> Deletions { get; } = deletions;

        public DateTimeOffset Since { get; } = since;
    }
}
