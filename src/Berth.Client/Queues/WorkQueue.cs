using Microsoft.Extensions.Logging;

namespace Berth.Client.Queues;

/// <summary>
/// A controller's queue of keys to reconcile. A key waiting in the queue is held once however often it is added;
/// a key being reconciled is not handed to a second worker, and comes round again afterwards if it was added
/// meanwhile. A reconciliation that throws is retried with per-key exponential back-off (5 ms doubling to 60 s).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A work queue is what Kubernetes calls it.")]
public sealed partial class WorkQueue<T> : IDisposable where T : notnull
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, int> _failures = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _stopping = new();

    public WorkQueue(TimeProvider time)
    {
        _time = time;
    }

    public void Add(T item)
    {
        lock (_gate)
        {
            if (!_dirty.Add(item) || _processing.Contains(item))
                return;
            _queue.Enqueue(item);
        }
        _available.Release();
    }

    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }
        _ = AddLaterAsync(item, delay);
    }

    /// <summary>Runs <paramref name="reconcile"/> on <paramref name="workers"/> parallel workers until cancelled.</summary>
    public async Task RunAsync(int workers, Func<T, CancellationToken, Task<ReconcileResult>> reconcile, ILogger logger, CancellationToken cancellationToken)
    {
        using var stop = cancellationToken.Register(_stopping.Cancel);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkAsync(reconcile, logger, cancellationToken)));
    }

    private async Task WorkAsync(Func<T, CancellationToken, Task<ReconcileResult>> reconcile, ILogger logger, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _available.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            T item;
            lock (_gate)
            {
                item = _queue.Dequeue();
                _dirty.Remove(item);
                _processing.Add(item);
            }
            try
            {
                var result = await reconcile(item, cancellationToken);
                lock (_gate)
                    _failures.Remove(item);
                if (result.RequeueAfter is { } after)
                    AddAfter(item, after);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                TimeSpan delay;
                lock (_gate)
                {
                    var failures = _failures[item] = _failures.GetValueOrDefault(item) + 1;
                    delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks << Math.Min(failures - 1, 30)));
                }
                Log.ReconcileFailed(logger, item.ToString() ?? "", delay.TotalSeconds, e);
                AddAfter(item, delay);
            }
            finally
            {
                Finish(item);
            }
        }
    }

    /// <summary>Ends a reconciliation; a key added while it ran goes back in the queue.</summary>
    private void Finish(T item)
    {
        lock (_gate)
        {
            _processing.Remove(item);
            if (!_dirty.Contains(item))
                return;
            _queue.Enqueue(item);
        }
        _available.Release();
    }

    private async Task AddLaterAsync(T item, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token);
            Add(item);
        }
        catch (OperationCanceledException)
        {
            // The queue stopped.
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _available.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(3010, LogLevel.Warning, "Reconciling {Key} failed; retrying in {Seconds:0.###} s")]
        public static partial void ReconcileFailed(ILogger logger, string key, double seconds, Exception exception);
    }
}
