using Berth.ApiServer.Services;
using Berth.Core.Networking;

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

    /// <summary>How much recent history each resource's watch cache keeps for watches that start in the past.</summary>
    public Caching.WatchWindowSize WatchCacheWindow { get; init; } = Caching.WatchWindowSize.Default;

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 3 * 1024 * 1024;

    /// <summary>
    /// The IPv4 network Services' cluster IPs come from (upstream's --service-cluster-ip-range). Its first address is
    /// the <c>kubernetes</c> Service's, its tenth the cluster DNS's.
    /// </summary>
    public string ServiceCidr { get; init; } = "10.43.0.0/16";

    /// <summary>The ports NodePort and LoadBalancer Services' node ports come from, as <c>N-M</c> (upstream's --service-node-port-range).</summary>
    public string ServiceNodePortRange { get; init; } = NodePortRange.Default.ToString();

    /// <summary>What is wrong with these options, in words for whoever set them: empty when nothing is.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Ipv4Cidr.TryParse(ServiceCidr, out var cidr))
            problems.Add($"--service-cidr \"{ServiceCidr}\" is not an IPv4 network in CIDR notation (10.43.0.0/16)");
        else if (ServiceNetwork.Problem(cidr) is { } problem)
            problems.Add($"--service-cidr {ServiceCidr}: {problem}");
        if (!NodePortRange.TryParse(ServiceNodePortRange, out _, out var rangeProblem))
            problems.Add($"--service-node-port-range \"{ServiceNodePortRange}\": {rangeProblem}");
        return problems;
    }
}
