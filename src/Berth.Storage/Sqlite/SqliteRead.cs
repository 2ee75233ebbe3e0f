using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// A read transaction on a pooled connection: everything read through it, the revision included, comes from
/// one snapshot of the database.
/// </summary>
internal sealed class SqliteRead : IDisposable
{
    private readonly SqliteReadPool _pool;
    private SqliteReadPool.Connection? _connection;

    private SqliteRead(SqliteReadPool pool, SqliteReadPool.Connection connection)
    {
        (_pool, _connection) = (pool, connection);
        // BEGIN and ROLLBACK as statements: a SqliteTransaction object would set and clear a rollback hook each time.
        connection.Command("BEGIN DEFERRED").ExecuteNonQuery();
        using var reader = connection.Command("SELECT (SELECT value FROM meta WHERE name = 'revision'), (SELECT value FROM meta WHERE name = 'compact_revision')")
            .ExecuteReader();
        reader.Read();
        Revision = reader.GetInt64(0);
        CompactRevision = reader.GetInt64(1);
    }

    /// <summary>The revision of the snapshot.</summary>
    public long Revision { get; }

    public long CompactRevision { get; }

    public static SqliteRead Begin(SqliteReadPool pool)
    {
        var connection = pool.Rent();
        try
        {
            return new SqliteRead(pool, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public SqliteCommand Command(string sql) => (_connection ?? throw new ObjectDisposedException(nameof(SqliteRead))).Command(sql);

    public void Dispose()
    {
        if (_connection is not { } connection)
            return;
        _connection = null;
        try
        {
            connection.Command("ROLLBACK").ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        _pool.Return(connection);
    }
}
