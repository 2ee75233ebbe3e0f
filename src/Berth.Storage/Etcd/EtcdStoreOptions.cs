namespace Berth.Storage.Etcd;

public sealed record EtcdStoreOptions
{
    /// <summary>The etcd members' client URLs (http://host:port); the client picks the first that answers and fails over.</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>How long to wait for etcd to answer at start.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
