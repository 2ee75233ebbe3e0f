namespace Berth.Agent.Pods;

/// <summary>
/// The delay before a crashed container is started again, as upstream's kubelet keeps it per container: none the
/// first time, then 10 s, doubling up to 5 minutes, and forgotten once a container has run for 10 minutes (twice the
/// longest delay) since its last restart.
/// </summary>
internal sealed class ContainerBackOff(TimeSpan initial, TimeSpan max)
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastRestart)> _entries = new(StringComparer.Ordinal);

    public ContainerBackOff()
        : this(Initial, Max)
    {
    }

    /// <summary>
    /// Whether a container that exited at <paramref name="exitedAt"/> must still wait; if so, the whole delay it
    /// serves (for the message) and when the wait ends.
    /// </summary>
    public bool Waits(string key, DateTimeOffset exitedAt, DateTimeOffset now, out TimeSpan delay, out DateTimeOffset until)
    {
        lock (_gate)
        {
            delay = default;
            until = default;
            if (!_entries.TryGetValue(key, out var entry) || Expired(entry, exitedAt))
                return false;
            delay = entry.Delay;
            until = exitedAt + entry.Delay;
            return now < until;
        }
    }

    /// <summary>Records a restart now: the next wait is the initial delay, or twice the last one.</summary>
    public void Restarted(string key, DateTimeOffset now)
    {
        lock (_gate)
        {
            _entries[key] = _entries.TryGetValue(key, out var entry) && !Expired(entry, now)
                ? (entry.Delay * 2 > max ? max : entry.Delay * 2, now)
                : (initial, now);
        }
    }

    /// <summary>Forgets the containers of a pod that is gone (keys start with its uid).</summary>
    public void Forget(string podUid)
    {
        lock (_gate)
        {
            foreach (var key in _entries.Keys.Where(k => k.StartsWith(podUid + "/", StringComparison.Ordinal)).ToList())
                _entries.Remove(key);
        }
    }

    private bool Expired((TimeSpan Delay, DateTimeOffset LastRestart) entry, DateTimeOffset at) => at - entry.LastRestart > 2 * max;
}
