using Berth.Storage.Sqlite.Commands;
using Berth.Storage.Watching;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The datastore's background work: telling idle watchers the current revision, and, queued through the
/// writer in small steps so that no step holds other writers for long, expiring leases, clearing compacted
/// history and returning freed pages to the file system.
/// </summary>
internal sealed partial class SqliteMaintenance : IAsyncDisposable
{
    private const int LeasesPerStep = 100;
    private const int PagesPerVacuumStep = 128;

    private readonly SqliteWriter _writer;
    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _compactionRequested = new(0);
    private TaskCompletionSource _compactionIdle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _leaseLoop;
    private readonly Task _compactionLoop;
    private readonly Task _progressLoop;

    public SqliteMaintenance(SqliteWriter writer, WatchHub hub, SqliteStoreOptions options, ILogger logger, CancellationToken stopping)
    {
        _writer = writer;
        _options = options;
        _logger = logger;
        _leaseLoop = Task.Run(() => LeaseLoopAsync(stopping), CancellationToken.None);
        _compactionLoop = Task.Run(() => CompactionLoopAsync(stopping), CancellationToken.None);
        _progressLoop = Task.Run(() => ProgressLoopAsync(hub, stopping), CancellationToken.None);
        // A compaction interrupted by a restart resumes where it stopped.
        CompactionRequested();
    }

    public void CompactionRequested()
    {
        lock (_compactionRequested)
        {
            if (_compactionIdle.Task.IsCompleted)
                _compactionIdle = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _compactionRequested.Release();
        }
    }

    /// <summary>Completes once the history up to the compacted revision is cleared and its pages are returned.</summary>
    public Task CompactionIdle
    {
        get
        {
            lock (_compactionRequested)
                return _compactionIdle.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_leaseLoop, _compactionLoop, _progressLoop);
        _compactionRequested.Dispose();
    }

    private async Task LeaseLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.LeaseCheckInterval, _options.TimeProvider);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stopping);
                while (await _writer.ExecuteAsync(new ExpireLeasesCommand(LeasesPerStep), stopping) == LeasesPerStep)
                {
                    // A full step: more leases may be due.
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Log.LeaseExpiryFailed(_logger, e);
            }
        }
    }

    private async Task ProgressLoopAsync(WatchHub hub, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.WatchProgressInterval, _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
                hub.PublishProgress();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task CompactionLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _compactionRequested.WaitAsync(stopping);
                while (await _writer.ExecuteAsync(new CompactStepCommand(_options.CompactionStepRevisions), stopping))
                {
                }
                while (await _writer.ExecuteAsync(new VacuumStepCommand(PagesPerVacuumStep), stopping))
                {
                }
                lock (_compactionRequested)
                {
                    if (_compactionRequested.CurrentCount == 0)
                        _compactionIdle.TrySetResult();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Log.CompactionFailed(_logger, e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1002, LogLevel.Error, "Expiring datastore leases failed; retrying at the next check")]
        public static partial void LeaseExpiryFailed(ILogger logger, Exception exception);

        [LoggerMessage(1003, LogLevel.Error, "Clearing compacted datastore history failed; it resumes at the next compaction or restart")]
        public static partial void CompactionFailed(ILogger logger, Exception exception);
    }
}
