using System.Runtime.CompilerServices;
using Berth.Storage.Sqlite.Commands;
using Berth.Storage.Watching;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The embedded datastore: one SQLite file in WAL mode whose append-only log table is the MVCC history.
/// Writes go through the single <see cref="SqliteWriter"/> (group commit); reads run on connections kept open
/// with their statements prepared, each in a read transaction so that a result and its revision come from one
/// snapshot; watches replay the log and then follow the writer's live feed.
/// </summary>
public sealed partial class SqliteStore : IStore
{
    private const int WatchReplayPage = 1000;

    private readonly SqliteStoreOptions _options;
    private readonly SqliteReadPool _reads;
    private readonly FileStream _lock;
    private readonly SqliteWriter _writer;
    private readonly WatchHub _hub;
    private readonly SqliteMaintenance _maintenance;
    private readonly CancellationTokenSource _closing = new();

    private SqliteStore(SqliteStoreOptions options, FileStream lockFile, SqliteConnection writerConnection, ILogger logger)
    {
        _options = options;
        _lock = lockFile;
        _reads = new SqliteReadPool(SqliteDatabase.ConnectionString(options.Path));
        _hub = new WatchHub(SqliteDatabase.ReadMeta(writerConnection, "revision"));
        _writer = new SqliteWriter(writerConnection, _hub, options.TimeProvider, logger);
        _maintenance = new SqliteMaintenance(_writer, _hub, options, logger, _closing.Token);
    }

    /// <summary>
    /// Opens (or, when the file is absent, creates) the datastore. Throws <see cref="StoreOpenException"/>
    /// when the file is corrupt, not a Berth datastore, or already open in another process.
    /// </summary>
    public static SqliteStore Open(SqliteStoreOptions options, ILogger? logger = null)
    {
        var path = Path.GetFullPath(options.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream lockFile;
        try
        {
            // One server per datastore file: the in-memory revision and watch feed assume a single writer.
            lockFile = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new StoreOpenException($"The datastore {path} is in use by another process (its lock file {path}.lock is held).", e);
        }

        try
        {
            var connection = SqliteDatabase.OpenWriter(path);
            return new SqliteStore(options with { Path = path }, lockFile, connection, logger ?? NullLogger.Instance);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, long lease, CancellationToken cancellationToken)
    {
        if ((StoreLimits.ValidateKey(key) ?? StoreLimits.ValidateValue(value)) is { } error)
            return Task.FromResult(WriteResult.Invalid(error));
        return _writer.ExecuteAsync(new CreateCommand(key, value, lease), cancellationToken);
    }

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, long lease, CancellationToken cancellationToken)
    {
        if ((StoreLimits.ValidateKey(key) ?? StoreLimits.ValidateValue(value)) is { } error)
            return Task.FromResult(WriteResult.Invalid(error));
        return _writer.ExecuteAsync(new UpdateCommand(key, value, expectedModRevision, lease), cancellationToken);
    }

    public Task<WriteResult> DeleteAsync(string key, long? expectedModRevision, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidateKey(key) is { } error)
            return Task.FromResult(WriteResult.Invalid(error));
        return _writer.ExecuteAsync(new DeleteCommand(key, expectedModRevision), cancellationToken);
    }

    public Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken) =>
        _writer.ExecuteAsync(new GrantLeaseCommand(ttl), cancellationToken);

    public Task<bool> RevokeLeaseAsync(long lease, CancellationToken cancellationToken) =>
        _writer.ExecuteAsync(new RevokeLeaseCommand(lease), cancellationToken);

    public async Task<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken)
    {
        var result = await _writer.ExecuteAsync(new CompactCommand(revision), cancellationToken);
        if (result.Status == CompactStatus.Ok)
            _maintenance.CompactionRequested();
        return result;
    }

    /// <summary>
    /// Completes once the history a compaction discarded is cleared from the file and the freed space is returned
    /// (compaction itself takes effect at once; the clearing runs in the background in small steps).
    /// </summary>
    public Task WaitForCompactionAsync(CancellationToken cancellationToken) => _maintenance.CompactionIdle.WaitAsync(cancellationToken);

    public Task<GetResult> GetAsync(string key, long revision, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidateKey(key) is { } error)
            return Task.FromResult(new GetResult(ReadStatus.Invalid, null, 0, error));

        using var read = BeginRead(revision, out var status);
        if (status != ReadStatus.Ok)
            return Task.FromResult(new GetResult(status, null, read.Revision));

        var command = read.Command(revision == 0
            ? "SELECT " + SqliteRows.Columns + " FROM current c JOIN log l ON l.revision = c.revision WHERE c.key = $key"
            : "SELECT " + SqliteRows.Columns + ", l.deleted FROM log l WHERE l.key = $key AND l.revision <= $revision ORDER BY l.revision DESC LIMIT 1");
        command.Parameters.AddWithValue("$key", key);
        if (revision != 0)
            command.Parameters.AddWithValue("$revision", revision);
        using var reader = command.ExecuteReader();
        var kv = reader.Read() && (revision == 0 || reader.GetInt64(6) == 0) ? SqliteRows.ReadKeyValue(reader) : null;
        return Task.FromResult(new GetResult(ReadStatus.Ok, kv, revision == 0 ? read.Revision : revision));
    }

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            return Task.FromResult(ListResult.Failed(ReadStatus.Invalid, 0, error));

        using var read = BeginRead(options.Revision, out var status);
        if (status != ReadStatus.Ok)
            return Task.FromResult(ListResult.Failed(status, read.Revision));

        var start = options.StartKey is { } startKey && string.CompareOrdinal(startKey, prefix) > 0 ? startKey : prefix;
        // A continue key is the last key returned plus NUL (etcd's convention): here, simply "after that key".
        var from = start.EndsWith('\0') ? ">" : ">=";
        start = start.TrimEnd('\0');
        var command = read.Command(options.Revision == 0
            ? "SELECT " + SqliteRows.Columns + " FROM current c JOIN log l ON l.revision = c.revision " +
              $"WHERE c.key {from} $start AND c.key < $end ORDER BY c.key LIMIT $limit"
            // The newest row of each key as of the revision; SQLite takes the bare columns from the MAX row.
            : "SELECT key, value, create_revision, revision, version, lease FROM " +
              "(SELECT l.key, l.value, l.create_revision, MAX(l.revision) AS revision, l.version, l.lease, l.deleted FROM log l " +
              $"WHERE l.key {from} $start AND l.key < $end AND l.revision <= $revision GROUP BY l.key) " +
              "WHERE deleted = 0 ORDER BY key LIMIT $limit");
        command.Parameters.AddWithValue("$start", start);
        command.Parameters.AddWithValue("$end", StoreLimits.PrefixEnd(prefix));
        // One more than asked for tells whether another page follows.
        command.Parameters.AddWithValue("$limit", options.Limit > 0 ? options.Limit + 1 : -1);
        if (options.Revision != 0)
            command.Parameters.AddWithValue("$revision", options.Revision);

        var items = new List<KeyValue>();
        string? continueKey = null;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (options.Limit > 0 && items.Count == options.Limit)
                {
                    continueKey = items[^1].Key + "\0";
                    break;
                }
                items.Add(SqliteRows.ReadKeyValue(reader));
            }
        }
        return Task.FromResult(new ListResult(ReadStatus.Ok, items, options.Revision == 0 ? read.Revision : options.Revision, continueKey));
    }

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            throw new ArgumentException(error, nameof(prefix));
        using var read = BeginRead(0, out _);
        var command = read.Command("SELECT count(*) FROM current WHERE key >= $start AND key < $end");
        command.Parameters.AddWithValue("$start", prefix);
        command.Parameters.AddWithValue("$end", StoreLimits.PrefixEnd(prefix));
        return Task.FromResult((long)command.ExecuteScalar()!);
    }

    public Task<long> GetRevisionAsync(CancellationToken cancellationToken) => Task.FromResult(_writer.Revision);

    public Task<StoreStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        static long SizeOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        var size = SizeOf(_options.Path) + SizeOf(_options.Path + "-wal");
        return Task.FromResult(new StoreStatus(_writer.Revision, _writer.CompactRevision, size));
    }

    public void RequestWatchProgress() => _hub.PublishRequestedProgress();

    public async IAsyncEnumerable<WatchResponse> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            throw new ArgumentException(error, nameof(prefix));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var token = stop.Token;
        var end = StoreLimits.PrefixEnd(prefix);
        var last = afterRevision;

        while (!token.IsCancellationRequested)
        {
            // Subscribe first, then replay: whatever commits in between arrives on both paths and is skipped once.
            var subscription = _hub.Subscribe(prefix, end, _options.WatchBufferSize);
            try
            {
                while (true)
                {
                    var replay = ReadHistory(prefix, end, last, out var compactRevision);
                    if (replay is null)
                    {
                        yield return WatchResponse.Compacted(compactRevision);
                        yield break;
                    }
                    if (replay.Count > 0)
                    {
                        last = replay[^1].Revision;
                        yield return new WatchResponse(last, replay);
                    }
                    if (replay.Count < WatchReplayPage)
                        break;
                }

                var live = subscription.Reader;
                while (await WaitToReadAsync(live, token))
                {
                    while (live.TryRead(out var response))
                    {
                        if (response.IsProgress)
                        {
                            // Progress may trail what the replay already delivered; it must never go backwards.
                            if (response.Revision >= last)
                                yield return response;
                            continue;
                        }
                        var fresh = response.Events[0].Revision > last ? response.Events : [.. response.Events.Where(e => e.Revision > last)];
                        if (fresh.Count == 0)
                            continue;
                        last = fresh[^1].Revision;
                        yield return new WatchResponse(last, fresh);
                    }
                }
            }
            finally
            {
                _hub.Unsubscribe(subscription);
            }
            // The live feed ended because this watcher fell behind: catch up from the log and follow again.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
            return;
        _closing.Cancel();
        await _maintenance.DisposeAsync();
        await _writer.DisposeAsync();
        _hub.CloseAll();
        _reads.Dispose();
        await _lock.DisposeAsync();
        _closing.Dispose();
    }

    /// <summary>Waits for the live feed; false when it ended (the watcher overflowed) or the watch was cancelled.</summary>
    private static async ValueTask<bool> WaitToReadAsync(System.Threading.Channels.ChannelReader<WatchResponse> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Events under the range after <paramref name="after"/>, one page; null when that history is compacted.</summary>
    private List<WatchEvent>? ReadHistory(string start, string end, long after, out long compactRevision)
    {
        using var read = BeginRead(0, out _);
        compactRevision = read.CompactRevision;
        // As in etcd, history is complete from the compacted revision on (its events' previous values may be gone).
        if (after + 1 < read.CompactRevision)
            return null;
        var command = read.Command(
            "SELECT l.deleted, " + SqliteRows.Columns + ", p.deleted, " + SqliteRows.Columns.Replace("l.", "p.", StringComparison.Ordinal) +
            " FROM log l LEFT JOIN log p ON p.revision = l.prev_revision" +
            " WHERE l.revision > $after AND l.key >= $start AND l.key < $end ORDER BY l.revision LIMIT $limit");
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$start", start);
        command.Parameters.AddWithValue("$end", end);
        command.Parameters.AddWithValue("$limit", WatchReplayPage);
        var events = new List<WatchEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var deleted = reader.GetInt64(0) != 0;
            var kv = SqliteRows.ReadKeyValue(reader, 1);
            var previous = reader.IsDBNull(7) || reader.GetInt64(7) != 0 ? null : SqliteRows.ReadKeyValue(reader, 8);
            events.Add(deleted
                ? new WatchEvent(WatchEventType.Delete, kv with { CreateRevision = 0, Version = 0, Lease = 0 }, previous)
                : new WatchEvent(WatchEventType.Put, kv, previous));
        }
        return events;
    }

    private SqliteRead BeginRead(long revision, out ReadStatus status)
    {
        var read = SqliteRead.Begin(_reads);
        status = revision == 0 ? ReadStatus.Ok
            : revision > read.Revision ? ReadStatus.FutureRevision
            : revision < read.CompactRevision ? ReadStatus.Compacted
            : ReadStatus.Ok;
        return read;
    }
}
