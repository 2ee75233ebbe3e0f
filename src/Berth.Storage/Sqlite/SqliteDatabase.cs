using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>
/// The datastore file: its schema, its pragmas, and the checks that refuse to open anything that is not an
/// intact Berth datastore. The log table is the MVCC history (one row per revision); <c>current</c> points at
/// the live row of each key so reads at the current revision need no scan of history.
/// </summary>
internal static class SqliteDatabase
{
    private const long FormatVersion = 1;

    private const string Schema = """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE log (
            revision        INTEGER PRIMARY KEY,
            key             TEXT    NOT NULL,
            deleted         INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision   INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            lease           INTEGER NOT NULL,
            value           BLOB    NOT NULL);
        CREATE INDEX log_key_revision ON log (key, revision);
        CREATE INDEX log_lease ON log (lease) WHERE lease != 0;
        CREATE TABLE current (key TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE leases (id INTEGER PRIMARY KEY, ttl_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL);
        CREATE INDEX leases_expiry ON leases (expires_at_ms);
        INSERT INTO meta (name, value) VALUES ('format', 1), ('revision', 0), ('compact_revision', 0), ('compacted_through', 0);
        """;

    /// <summary>A connection to the file; not pooled by the provider (the store keeps its own open connections).</summary>
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWrite,
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Opens the writer's connection, creating the database when the file is absent or empty.</summary>
    public static SqliteConnection OpenWriter(string path)
    {
        var fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        if (fresh)
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);

        var builder = new SqliteConnectionStringBuilder(ConnectionString(path))
        {
            Mode = fresh ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            if (fresh)
                Create(connection);
            else
                Verify(connection, path);
            // Durable: a commit returns only after the WAL is fsync'd. Group commit keeps that cheap.
            Execute(connection, "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 8388608; PRAGMA cache_size = -16384; PRAGMA busy_timeout = 5000;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StoreOpenException(
                $"The datastore {path} cannot be read ({e.Message}). Berth never recreates a datastore: restore it from a backup, " +
                "or move the file away to start an empty cluster.", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static long ReadMeta(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return (long)(command.ExecuteScalar() ?? 0L);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Create(SqliteConnection connection)
    {
        // auto_vacuum must be chosen before the first table exists; it lets compaction hand pages back to the OS.
        Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;");
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Schema;
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private static void Verify(SqliteConnection connection, string path)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'log', 'current', 'leases')";
            if ((long)command.ExecuteScalar()! != 4)
            {
                throw new StoreOpenException(
                    $"{path} is a SQLite database but not a Berth datastore (its tables are missing). " +
                    "Point --datastore-endpoint at the right file, or move this one away to start an empty cluster.");
            }
        }
        var format = ReadMeta(connection, "format");
        if (format != FormatVersion)
            throw new StoreOpenException($"{path} has datastore format {format}; this Berth reads format {FormatVersion}.");

        Execute(connection, "PRAGMA journal_mode = WAL;");
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA quick_check(1)";
        var verdict = check.ExecuteScalar() as string;
        if (verdict != "ok")
        {
            throw new StoreOpenException(
                $"The datastore {path} is corrupt ({verdict}). Berth never recreates a datastore: restore it from a backup, " +
                "or move the file away to start an empty cluster.");
        }
    }
}
