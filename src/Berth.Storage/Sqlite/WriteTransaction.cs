using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// What a write command sees while the writer applies a batch: the current state of keys and leases inside
/// the open transaction, the next revision to assign, and the watch events to publish once the batch commits.
/// Statements are prepared once and reused for every batch.
/// </summary>
internal sealed class WriteTransaction : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private List<WatchEvent> _events = [];

    public WriteTransaction(SqliteConnection connection, long revision, long compactRevision)
    {
        _connection = connection;
        Revision = revision;
        CompactRevision = compactRevision;
    }

    /// <summary>The last revision assigned (committed, or pending in this batch).</summary>
    public long Revision { get; private set; }

    public long CompactRevision { get; set; }

    /// <summary>Wall-clock milliseconds when the batch started, for lease expiry.</summary>
    public long NowMs { get; private set; }

    /// <summary>Set by a command that freed space: after the commit the writer folds the WAL back into the file.</summary>
    public bool CheckpointAfterCommit { get; set; }

    public void Begin(long nowMs)
    {
        NowMs = nowMs;
        CheckpointAfterCommit = false;
        _events.Clear();
    }

    /// <summary>Hands over the events of a committed batch; watchers keep them, so the next batch starts a new list.</summary>
    public List<WatchEvent> TakeEvents()
    {
        var events = _events;
        _events = [];
        return events;
    }

    /// <summary>Undoes the in-memory effects of a batch whose transaction was rolled back.</summary>
    public void Reset(long revision, long compactRevision)
    {
        Revision = revision;
        CompactRevision = compactRevision;
        _events.Clear();
    }

    public KeyValue? ReadCurrent(string key)
    {
        var command = Prepare("SELECT " + SqliteRows.Columns + " FROM current c JOIN log l ON l.revision = c.revision WHERE c.key = $key");
        command.Parameters[0].Value = key;
        using var reader = command.ExecuteReader();
        return reader.Read() ? SqliteRows.ReadKeyValue(reader) : null;
    }

    /// <summary>Writes a new version of a key (<paramref name="previous"/> null: creates it) and records its event.</summary>
    public KeyValue Put(string key, ReadOnlyMemory<byte> value, long lease, KeyValue? previous)
    {
        var revision = Revision + 1;
        var kv = new KeyValue(key, value, previous?.CreateRevision ?? revision, revision, (previous?.Version ?? 0) + 1, lease);
        Append(kv, deleted: false, prevRevision: previous?.ModRevision ?? 0);

        var upsert = Prepare("INSERT INTO current (key, revision) VALUES ($key, $revision) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision");
        upsert.Parameters[0].Value = key;
        upsert.Parameters[1].Value = revision;
        upsert.ExecuteNonQuery();

        _events.Add(new WatchEvent(WatchEventType.Put, kv, previous));
        return kv;
    }

    /// <summary>Deletes a live key (a tombstone row in the log) and records its event.</summary>
    public long Delete(KeyValue current)
    {
        var revision = Revision + 1;
        var tombstone = new KeyValue(current.Key, ReadOnlyMemory<byte>.Empty, 0, revision, 0, 0);
        Append(tombstone, deleted: true, prevRevision: current.ModRevision);

        var remove = Prepare("DELETE FROM current WHERE key = $key");
        remove.Parameters[0].Value = current.Key;
        remove.ExecuteNonQuery();

        _events.Add(new WatchEvent(WatchEventType.Delete, tombstone, current));
        return revision;
    }

    public bool LeaseExists(long lease)
    {
        var command = Prepare("SELECT count(*) FROM leases WHERE id = $id");
        command.Parameters[0].Value = lease;
        return (long)command.ExecuteScalar()! != 0;
    }

    /// <summary>The live keys attached to a lease.</summary>
    public List<KeyValue> KeysOfLease(long lease)
    {
        var command = Prepare("SELECT " + SqliteRows.Columns + " FROM log l JOIN current c ON c.revision = l.revision WHERE l.lease = $lease");
        command.Parameters[0].Value = lease;
        var keys = new List<KeyValue>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            keys.Add(SqliteRows.ReadKeyValue(reader));
        return keys;
    }

    /// <summary>A cached prepared statement; parameters are declared in order of first appearance in the text.</summary>
    public SqliteCommand Prepare(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
            return command;
        command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in ParameterNames(sql))
            command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        _commands.Add(sql, command);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
    }

    private void Append(KeyValue kv, bool deleted, long prevRevision)
    {
        var insert = Prepare("""
            INSERT INTO log (revision, key, deleted, create_revision, prev_revision, version, lease, value)
            VALUES ($revision, $key, $deleted, $create_revision, $prev_revision, $version, $lease, $value)
            """);
        var p = insert.Parameters;
        p[0].Value = kv.ModRevision;
        p[1].Value = kv.Key;
        p[2].Value = deleted ? 1 : 0;
        p[3].Value = kv.CreateRevision;
        p[4].Value = prevRevision;
        p[5].Value = kv.Version;
        p[6].Value = kv.Lease;
        p[7].Value = SqliteRows.ToArray(kv.Value);
        insert.ExecuteNonQuery();
        Revision = kv.ModRevision;
    }

    private static IEnumerable<string> ParameterNames(string sql)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sql.Length; i++)
        {
            if (sql[i] != '$')
                continue;
            var end = i + 1;
            while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_'))
                end++;
            var name = sql[i..end];
            if (seen.Add(name))
                yield return name;
            i = end - 1;
        }
    }
}
