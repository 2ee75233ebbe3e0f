namespace Berth.ApiServer;

public sealed record ApiServerOptions
{
    /// <summary>The server's data directory; TLS material lives in <c>server/tls</c>, the kubeconfig at the top.</summary>
    public required string DataDir { get; init; }

    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int HttpsPort { get; init; } = 6443;

    /// <summary>Extra names and addresses for the serving certificate.</summary>
    public IReadOnlyList<string> TlsSans { get; init; } = [];

    /// <summary>How long an Event lives after its last write (upstream's --event-ttl).</summary>
    public TimeSpan EventTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many recent events each resource's watch cache keeps for watches that start in the past.</summary>
    public int WatchCacheWindow { get; init; } = 10_000;

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 3 * 1024 * 1024;
}
