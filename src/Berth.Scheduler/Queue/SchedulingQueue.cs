namespace Berth.Scheduler.Queue;

/// <summary>
/// Pods waiting to be scheduled, as upstream's queue holds them: an active queue (higher priority first, then
/// older first), a back-off for pods whose attempt failed (1 s doubling to 10 s), and the unschedulable pods, which
/// wait for a cluster event that could help them (a node added or changed, a pod gone) or for 5 minutes.
/// </summary>
internal sealed class SchedulingQueue(TimeProvider time)
{
    private static readonly TimeSpan InitialBackOff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxUnschedulable = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly PriorityQueue<string, (int Priority, DateTimeOffset Created, long Order)> _active = new();
    private readonly Dictionary<string, (int Priority, DateTimeOffset Created)> _waiting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inActive = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _unschedulable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _order;

    /// <summary>A pod to schedule (again): into the active queue unless it is there already.</summary>
    public void Add(string key, int priority, DateTimeOffset created)
    {
        lock (_gate)
        {
            _waiting[key] = (priority, created);
            _unschedulable.Remove(key);
            if (!_inActive.Add(key))
                return;
            _active.Enqueue(key, (-priority, created, _order++));
            var added = _added;
            _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            added.TrySetResult();
        }
    }

    /// <summary>The next pod to schedule, waiting for one if none is queued.</summary>
    public async Task<string> PopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task added;
            lock (_gate)
            {
                while (_active.TryDequeue(out var key, out _))
                {
                    _inActive.Remove(key);
                    if (_waiting.ContainsKey(key))
                        return key;
                }
                added = _added.Task;
            }
            await added.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The attempt failed for a passing reason (a binding error): try again after a growing back-off.</summary>
    public void BackOff(string key) => _ = AddLaterAsync(key, Delay(key));

    /// <summary>No node fits: wait for a cluster event that might change that.</summary>
    public void Unschedulable(string key)
    {
        var delay = Delay(key);
        lock (_gate)
        {
            if (_waiting.ContainsKey(key))
                _unschedulable[key] = time.GetUtcNow() + delay;
        }
        _ = AddLaterAsync(key, MaxUnschedulable);
    }

    /// <summary>Something changed that might let unschedulable pods fit: they go back to the active queue once their back-off has passed.</summary>
    public void ClusterChanged()
    {
        List<(string Key, TimeSpan Wait)> moving;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            moving = [.. _unschedulable.Select(p => (p.Key, p.Value - now))];
            _unschedulable.Clear();
        }
        foreach (var (key, wait) in moving)
            _ = AddLaterAsync(key, wait);
    }

    /// <summary>A pod that was scheduled, or is gone: it leaves the queue.</summary>
    public void Remove(string key)
    {
        lock (_gate)
        {
            _waiting.Remove(key);
            _unschedulable.Remove(key);
            _attempts.Remove(key);
        }
    }

    private TimeSpan Delay(string key)
    {
        lock (_gate)
        {
            var attempts = _attempts[key] = _attempts.GetValueOrDefault(key) + 1;
            var delay = InitialBackOff * Math.Pow(2, Math.Min(attempts - 1, 10));
            return delay > MaxBackOff ? MaxBackOff : delay;
        }
    }

    private async Task AddLaterAsync(string key, TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay, time);
        (int Priority, DateTimeOffset Created) waiting;
        lock (_gate)
        {
            if (!_waiting.TryGetValue(key, out waiting))
                return;
        }
        Add(key, waiting.Priority, waiting.Created);
    }
}
