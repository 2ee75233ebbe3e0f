using System.Threading.Channels;
using Berth.Storage.Sqlite.Commands;
using Berth.Storage.Watching;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The only writer of the database. Commands queue in a channel; the writer takes everything waiting, applies
/// it in one transaction and commits once (one fsync), then publishes the batch's events to the watch hub in
/// revision order and completes the callers. While one batch commits the next one gathers: group commit, so
/// durability does not cost throughput.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    private const int MaxBatch = 1024;

    private readonly SqliteConnection _connection;
    private readonly WriteTransaction _transaction;
    private readonly WatchHub _hub;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Channel<WriteCommand> _queue = Channel.CreateUnbounded<WriteCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _revision;
    private long _compactRevision;
    private int _lastBatchSize;

    public SqliteWriter(SqliteConnection connection, WatchHub hub, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        _hub = hub;
        _timeProvider = timeProvider;
        _logger = logger;
        _revision = SqliteDatabase.ReadMeta(connection, "revision");
        _compactRevision = SqliteDatabase.ReadMeta(connection, "compact_revision");
        _transaction = new WriteTransaction(connection, _revision, _compactRevision);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The last committed revision.</summary>
    public long Revision => Volatile.Read(ref _revision);

    public long CompactRevision => Volatile.Read(ref _compactRevision);

    public Task<T> ExecuteAsync<T>(WriteCommand<T> command, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(command))
            throw new ObjectDisposedException(nameof(SqliteStore), "The datastore is closed.");
        // A queued write happens even if the caller stops waiting, exactly as with etcd.
        return command.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        _transaction.Dispose();
    }

    private async Task LoopAsync()
    {
        var batch = new List<WriteCommand>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Under load, let the callers completed by the last batch queue their next writes before this batch
            // closes: batches roughly double in size, and a batch costs one fsync whatever its size.
            if (_lastBatchSize > 1)
                await Task.Yield();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var command))
                batch.Add(command);
            try
            {
                if (TryCommit(batch) is { } error)
                {
                    if (batch.Count == 1)
                        batch[0].Fail(error);
                    // Something in the batch failed: apply each command on its own so only the culprit fails.
                    else foreach (var command in batch)
                    {
                        if (TryCommit([command]) is { } own)
                            command.Fail(own);
                    }
                }
            }
            catch (Exception e)
            {
                // Never leave a caller hanging, whatever went wrong.
                foreach (var command in batch)
                    command.Fail(e);
            }
            _lastBatchSize = batch.Count;
            batch.Clear();
        }
    }

    /// <summary>Applies and commits a batch; returns the error instead when it had to be rolled back.</summary>
    private SqliteException? TryCommit(List<WriteCommand> batch)
    {
        _transaction.Reset(_revision, _compactRevision);
        _transaction.Begin(_timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            SqliteDatabase.Execute(_connection, "BEGIN IMMEDIATE");
            foreach (var command in batch)
                command.Apply(_transaction);
            if (_transaction.Revision != _revision)
            {
                var update = _transaction.Prepare("UPDATE meta SET value = $value WHERE name = 'revision'");
                update.Parameters[0].Value = _transaction.Revision;
                update.ExecuteNonQuery();
            }
            SqliteDatabase.Execute(_connection, "COMMIT");
        }
        catch (SqliteException e)
        {
            Log.BatchFailed(_logger, batch.Count, e);
            // Some errors end the transaction inside SQLite already; roll back only one that is still open.
            if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0)
                SqliteDatabase.Execute(_connection, "ROLLBACK");
            return e;
        }

        if (_transaction.CheckpointAfterCommit)
            Checkpoint();
        Volatile.Write(ref _revision, _transaction.Revision);
        Volatile.Write(ref _compactRevision, _transaction.CompactRevision);
        _hub.Publish(_transaction.TakeEvents(), _revision);
        foreach (var command in batch)
            command.Complete();
        return null;
    }

    /// <summary>
    /// Copies the WAL into the database file and truncates both, giving freed space back. It waits at most
    /// 40 ms for readers; if they are still busy the next checkpoint finishes the job.
    /// </summary>
    private void Checkpoint() =>
        SqliteDatabase.Execute(_connection, "PRAGMA busy_timeout = 40; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA busy_timeout = 5000;");

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Error, "A datastore write batch of {Count} commands failed and was rolled back; retrying its commands one by one")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);
    }
}
