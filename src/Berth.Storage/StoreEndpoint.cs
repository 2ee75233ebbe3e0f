namespace Berth.Storage;

/// <summary>
/// Where the data lives, as given to <c>--datastore-endpoint</c>: <c>sqlite:///abs/path.db</c>,
/// <c>sqlite://relative/path.db</c>, or <c>etcd://host:port[,host:port...]</c>.
/// </summary>
public sealed record StoreEndpoint(StoreBackend Backend, string? SqlitePath, IReadOnlyList<Uri> EtcdEndpoints)
{
    private const string SqliteScheme = "sqlite://";
    private const string EtcdScheme = "etcd://";

    public static StoreEndpoint Sqlite(string path) => new(StoreBackend.Sqlite, path, []);

    /// <summary>Parses an endpoint; throws <see cref="FormatException"/> with a message fit for the user.</summary>
    public static StoreEndpoint Parse(string endpoint)
    {
        if (endpoint.StartsWith(SqliteScheme, StringComparison.Ordinal))
        {
            var path = endpoint[SqliteScheme.Length..];
            if (path.Length == 0)
                throw new FormatException("sqlite:// needs a file path, e.g. sqlite:///var/lib/berth/server/db/state.db");
            return Sqlite(path);
        }
        if (endpoint.StartsWith(EtcdScheme, StringComparison.Ordinal))
        {
            var members = endpoint[EtcdScheme.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (members.Length == 0)
                throw new FormatException("etcd:// needs at least one host:port, e.g. etcd://127.0.0.1:2379");
            var uris = members.Select(member =>
                Uri.TryCreate("http://" + member, UriKind.Absolute, out var uri) && uri.Port > 0 && uri.AbsolutePath == "/" && member.Contains(':', StringComparison.Ordinal)
                    ? uri
                    : throw new FormatException($"\"{member}\" in {endpoint} is not host:port")).ToList();
            return new StoreEndpoint(StoreBackend.Etcd, null, uris);
        }
        throw new FormatException($"datastore endpoint \"{endpoint}\" must start with sqlite:// or etcd://");
    }

    public override string ToString() => Backend == StoreBackend.Sqlite
        ? SqliteScheme + SqlitePath
        : EtcdScheme + string.Join(',', EtcdEndpoints.Select(u => u.Authority));
}
