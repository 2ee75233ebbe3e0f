using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// A read transaction on a pooled connection: everything read through it, the revision included, comes from
/// one snapshot of the database.
/// </summary>
internal sealed class SqliteRead : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly List<SqliteCommand> _commands = [];

    private SqliteRead(SqliteConnection connection)
    {
        _connection = connection;
        _transaction = connection.BeginTransaction(deferred: true);
        using var meta = Command("SELECT (SELECT value FROM meta WHERE name = 'revision'), (SELECT value FROM meta WHERE name = 'compact_revision')");
        using var reader = meta.ExecuteReader();
        reader.Read();
        Revision = reader.GetInt64(0);
        CompactRevision = reader.GetInt64(1);
    }

    /// <summary>The revision of the snapshot.</summary>
    public long Revision { get; }

    public long CompactRevision { get; }

    public static SqliteRead Begin(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            return new SqliteRead(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public SqliteCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        _commands.Add(command);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands)
            command.Dispose();
        _transaction.Dispose();
        _connection.Dispose();
    }
}
