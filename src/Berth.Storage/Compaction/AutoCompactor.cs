using Microsoft.Extensions.Logging;

namespace Berth.Storage.Compaction;

/// <summary>
/// Compacts a store automatically, for any backend: it samples the revision every interval and compacts to
/// the newest sample that is older than the retention time, never closer than the minimum number of
/// revisions to the current one.
/// </summary>
public sealed partial class AutoCompactor(IStore store, CompactionPolicy policy, TimeProvider timeProvider, ILogger<AutoCompactor> logger)
{
    private readonly Queue<(DateTimeOffset At, long Revision)> _samples = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(policy.Interval, timeProvider);
        do
        {
            try
            {
                await TickAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.CompactionFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    /// <summary>One round: sample the revision, then compact if a sample is old enough.</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        var status = await store.GetStatusAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        _samples.Enqueue((now, status.Revision));

        long target = 0;
        while (_samples.TryPeek(out var oldest) && now - oldest.At >= policy.MinRetention)
            target = _samples.Dequeue().Revision;
        target = Math.Min(target, status.Revision - policy.MinRevisions);
        if (target <= status.CompactRevision)
            return;

        var result = await store.CompactAsync(target, cancellationToken);
        if (result.Status == CompactStatus.Ok)
            Log.Compacted(logger, target, status.Revision);
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Information, "Compacted the datastore to revision {Revision} (current {Current})")]
        public static partial void Compacted(ILogger logger, long revision, long current);

        [LoggerMessage(1011, LogLevel.Warning, "Automatic datastore compaction failed; trying again at the next interval")]
        public static partial void CompactionFailed(ILogger logger, Exception exception);
    }
}
