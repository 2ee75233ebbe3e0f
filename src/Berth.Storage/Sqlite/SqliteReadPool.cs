using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// Open read connections, each with its statements prepared once and kept. Opening a connection and preparing its
/// statements for every read made each read a handful of finalizable objects, a thousand reads a second when
/// hollow nodes report pods, which the garbage collector then had to track.
/// </summary>
internal sealed class SqliteReadPool(string connectionString) : IDisposable
{
    /// <summary>How many idle connections are kept; more are closed when they are returned.</summary>
    private const int MaxIdle = 16;

    private readonly ConcurrentBag<Connection> _idle = [];
    private int _idleCount;
    private bool _disposed;

    public Connection Rent()
    {
        if (_idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            return connection;
        }
        return Connection.Open(connectionString);
    }

    public void Return(Connection connection)
    {
        if (Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
            return;
        }
        _idle.Add(connection);
        // A read that ends while the store closes returns its connection after the closing emptied the pool.
        if (Volatile.Read(ref _disposed))
            CloseIdle();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
        }
    }

    /// <summary>A read connection and the commands prepared on it, by their text.</summary>
    internal sealed class Connection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        private Connection(SqliteConnection connection)
        {
            _connection = connection;
        }

        public static Connection Open(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                connection.Open();
                return new Connection(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>The command for <paramref name="sql"/>, prepared the first time and without parameters.</summary>
        public SqliteCommand Command(string sql)
        {
            if (_commands.TryGetValue(sql, out var command))
            {
                command.Parameters.Clear();
                return command;
            }
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
                command.Dispose();
            _connection.Dispose();
        }
    }
}
