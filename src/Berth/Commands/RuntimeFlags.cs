using System.CommandLine;
using Berth.Agent.Cri;
using Berth.Agent.Network;
using Berth.Agent.Pods.Eviction;
using Berth.Agent.Nodes;
using Berth.Agent.Runtime;
using Berth.Agent.Stats;
using Berth.Agent.Streaming;
using Berth.Client;
using Berth.Core.Networking;
using Berth.Core.Quantities;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// The flags that say how a node runs its pods, shared by <c>berth server</c> (its own node) and <c>berth agent</c>:
/// the runtime (real containers through CRI, or simulated), a CRI socket to use instead of the agent's own
/// containerd, the pod network's bridge and CIDRs, the agent's port, how much of containers' logs is kept, when
/// unused images are removed, what the node keeps from its pods, and below what it evicts them.
/// </summary>
internal sealed class RuntimeFlags
{
    private readonly Option<string> _runtime = new("--runtime")
    {
        Description = "How the node runs its pods: cri (real containers through containerd and runc) or simulated (no processes).",
        DefaultValueFactory = _ => "cri",
    };

    private readonly Option<string?> _endpoint = new("--container-runtime-endpoint")
    {
        Description = "unix:///path/to/cri.sock of a CRI runtime already running (default: the agent starts and supervises its own containerd).",
    };

    private readonly Option<string> _bridge = new("--pod-bridge")
    {
        Description = "The Linux bridge the node's pods are attached to.",
        DefaultValueFactory = _ => PodNetworkSettings.DefaultBridge,
    };

    private readonly Option<string> _serviceCidr = new("--service-cidr")
    {
        Description = "The services' virtual IP range (blackholed on the node, routed to from pods).",
        DefaultValueFactory = _ => PodNetworkSettings.DefaultServiceCidr,
    };

    private readonly Option<string?> _clusterDns = new("--cluster-dns")
    {
        Description = "The cluster DNS address pods' resolv.conf names (default: the service CIDR's tenth address, kube-system/kube-dns's cluster IP).",
    };

    private readonly Option<string> _clusterDomain = new("--cluster-domain")
    {
        Description = "The cluster's DNS domain, answered by each node's cluster DNS and searched by pods.",
        DefaultValueFactory = _ => PodNetworkSettings.DefaultClusterDomain,
    };

    private readonly Option<string?> _dnsUpstreams = new("--cluster-dns-upstream")
    {
        Description = "Comma-separated DNS servers (IP or IP:port) the node's cluster DNS forwards names outside the cluster domain to (default: none; such names are refused).",
    };

    private readonly Option<string?> _nodePortAddresses = new("--nodeport-addresses")
    {
        Description = "Comma-separated IPv4 CIDRs of the node's addresses on which NodePort Services answer (default: the node's InternalIP and 127.0.0.1).",
    };

    private readonly Option<int> _agentPort = new("--agent-port")
    {
        Description = "The port of the node agent's HTTPS endpoint, which the API server reads pods' logs from (upstream's kubelet port).",
        DefaultValueFactory = _ => NodeDescription.DefaultAgentPort,
    };

    private readonly Option<string> _logMaxSize = new("--container-log-max-size")
    {
        Description = "How large a container's log grows before it is rotated (a quantity: 10Mi).",
        DefaultValueFactory = _ => "10Mi",
    };

    private readonly Option<int> _logMaxFiles = new("--container-log-max-files")
    {
        Description = "How many files of a container's log are kept, the live one included (at least 2).",
        DefaultValueFactory = _ => ContainerLogLimits.Default.MaxFiles,
    };

    private readonly Option<int> _imageGcHigh = new("--image-gc-high-threshold")
    {
        Description = "The percent of the images' disk in use at which unused images are removed (100 never removes them).",
        DefaultValueFactory = _ => ImageGcPolicy.Default.HighThresholdPercent,
    };

    private readonly Option<int> _imageGcLow = new("--image-gc-low-threshold")
    {
        Description = "The percent of the images' disk in use that removing unused images aims for.",
        DefaultValueFactory = _ => ImageGcPolicy.Default.LowThresholdPercent,
    };

    private readonly Option<TimeSpan> _imageMinimumAge = new("--minimum-image-ttl-duration")
    {
        Description = "How long an unused image is kept at least (2m0s).",
        DefaultValueFactory = _ => ImageGcPolicy.Default.MinimumAge,
        CustomParser = GoDuration.Flag,
    };

    private readonly Option<TimeSpan> _imageGcPeriod = new("--image-gc-period")
    {
        Description = "How often the images' disk is checked (5m0s).",
        DefaultValueFactory = _ => ImageGcPolicy.Default.Period,
        CustomParser = GoDuration.Flag,
    };

    private readonly Option<string> _evictionHard = new("--eviction-hard")
    {
        Description = "Below what the node evicts pods: memory.available<100Mi,nodefs.available<10%, also pid.available<N (amounts or percentages).",
        DefaultValueFactory = _ => "memory.available<100Mi,nodefs.available<10%",
    };

    private readonly Option<string> _systemReserved = new("--system-reserved")
    {
        Description = "What the node keeps from pods for the system: cpu=500m,memory=1Gi,ephemeral-storage=1Gi (any of them).",
        DefaultValueFactory = _ => "",
    };

    private readonly Option<string> _kubeReserved = new("--kube-reserved")
    {
        Description = "What the node keeps from pods for Berth itself, in the same form as --system-reserved.",
        DefaultValueFactory = _ => "",
    };

    /// <summary>Adds the flags to <paramref name="command"/>, with their checks.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_runtime);
        command.Options.Add(_endpoint);
        command.Options.Add(_bridge);
        command.Options.Add(_serviceCidr);
        command.Options.Add(_clusterDns);
        command.Options.Add(_clusterDomain);
        command.Options.Add(_dnsUpstreams);
        command.Options.Add(_nodePortAddresses);
        command.Options.Add(_agentPort);
        command.Options.Add(_logMaxSize);
        command.Options.Add(_logMaxFiles);
        command.Options.Add(_imageGcHigh);
        command.Options.Add(_imageGcLow);
        command.Options.Add(_imageMinimumAge);
        command.Options.Add(_imageGcPeriod);
        command.Options.Add(_evictionHard);
        command.Options.Add(_systemReserved);
        command.Options.Add(_kubeReserved);
        command.Validators.Add(result =>
        {
            foreach (var option in new[] { _systemReserved, _kubeReserved })
            {
                if (result.GetValue(option) is { } reserved && NodeReservation.Parse(reserved, out var error) is null)
                    result.AddError($"{option.Name}: {error}");
            }
            if (result.GetValue(_evictionHard) is { } eviction && EvictionThresholds.Parse(eviction, out var evictionError) is null)
                result.AddError($"--eviction-hard: {evictionError}");
            if (result.GetValue(_logMaxSize) is { } size && LogBytes(size) is null)
                result.AddError($"--container-log-max-size \"{size}\" is not a size of at least 1Ki (10Mi, 512Ki)");
            if (result.GetValue(_logMaxFiles) is > 0 and < 2)
                result.AddError("--container-log-max-files must be at least 2");
            var (high, low) = (result.GetValue(_imageGcHigh), result.GetValue(_imageGcLow));
            if (high is < 0 or > 100)
                result.AddError($"--image-gc-high-threshold ({high}) must be between 0 and 100");
            if (low is < 0 or > 100)
                result.AddError($"--image-gc-low-threshold ({low}) must be between 0 and 100");
            if (result.GetResult(_imageGcHigh) is not null && result.GetResult(_imageGcLow) is not null && high != 100 && low >= high)
                result.AddError($"--image-gc-low-threshold ({low}) must be less than --image-gc-high-threshold ({high})");
            if (result.GetResult(_imageGcPeriod) is not null && result.GetValue(_imageGcPeriod) <= TimeSpan.Zero)
                result.AddError("--image-gc-period must be positive");
            if (result.GetValue(_agentPort) is < 0 or > 65535)
                result.AddError("--agent-port must be a port number");
            // A validator sees no default value, only what was given.
            if (result.GetValue(_runtime) is { } runtime && runtime is not ("cri" or "simulated"))
                result.AddError($"--runtime must be cri or simulated, not \"{runtime}\"");
            if (result.GetValue(_endpoint) is { } endpoint && !endpoint.StartsWith("unix:///", StringComparison.Ordinal))
                result.AddError($"--container-runtime-endpoint must be unix:///path/to/socket, not \"{endpoint}\"");
            if (result.GetValue(_bridge) is { } bridge && !PodNetworkSettings.ValidBridge(bridge))
                result.AddError($"--pod-bridge \"{bridge}\" is not an interface name (at most 15 letters, digits, '-', '_' or '.')");
            if (result.GetValue(_serviceCidr) is { } cidr && !PodNetworkSettings.ValidCidr(cidr))
                result.AddError($"--service-cidr \"{cidr}\" is not an IPv4 CIDR");
            if (result.GetValue(_clusterDns) is { } dns && !System.Net.IPAddress.TryParse(dns, out _))
                result.AddError($"--cluster-dns \"{dns}\" is not an IP address");
            if (result.GetValue(_dnsUpstreams) is { } upstreams && List(upstreams).FirstOrDefault(u => !System.Net.IPEndPoint.TryParse(u, out _)) is { } badUpstream)
                result.AddError($"--cluster-dns-upstream: \"{badUpstream}\" is not an IP address or IP:port");
            if (result.GetValue(_nodePortAddresses) is { } addresses && List(addresses).FirstOrDefault(a => !PodNetworkSettings.ValidCidr(a)) is { } wrong)
                result.AddError($"--nodeport-addresses: \"{wrong}\" is not an IPv4 CIDR");
        });
    }

    /// <summary>What the flags say, once parsed.</summary>
    public NodeRuntimeChoice Read(ParseResult parse) => new(
        parse.GetValue(_runtime) == "simulated",
        parse.GetValue(_endpoint) is { } endpoint ? endpoint["unix://".Length..] : null,
        parse.GetValue(_bridge)!,
        parse.GetValue(_serviceCidr)!,
        parse.GetValue(_clusterDns) ?? TenthAddress(parse.GetValue(_serviceCidr)!),
        parse.GetValue(_clusterDomain)!,
        parse.GetValue(_dnsUpstreams) is { } upstreams ? List(upstreams) : [],
        parse.GetValue(_nodePortAddresses) is { } addresses ? List(addresses) : null,
        parse.GetValue(_agentPort),
        new ContainerLogLimits(LogBytes(parse.GetValue(_logMaxSize)!) ?? ContainerLogLimits.Default.MaxBytes, parse.GetValue(_logMaxFiles)),
        new ImageGcPolicy(parse.GetValue(_imageGcHigh), parse.GetValue(_imageGcLow), parse.GetValue(_imageMinimumAge), parse.GetValue(_imageGcPeriod)),
        (NodeReservation.Parse(parse.GetValue(_systemReserved) ?? "", out _) ?? NodeReservation.None)
            .Plus(NodeReservation.Parse(parse.GetValue(_kubeReserved) ?? "", out _) ?? NodeReservation.None),
        EvictionThresholds.Parse(parse.GetValue(_evictionHard) ?? "", out _) ?? EvictionThresholds.Default);

    /// <summary>Where the API server puts kube-system/kube-dns: the service CIDR's tenth address.</summary>
    private static string TenthAddress(string serviceCidr) => Ipv4Cidr.TryParse(serviceCidr, out var cidr) ? cidr.Address(10) : PodNetworkSettings.DefaultClusterDns;

    /// <summary>A comma-separated flag's items.</summary>
    private static string[] List(string flag) => flag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static long? LogBytes(string size) =>
        Quantity.TryParse(size, out var quantity) && quantity.Value >= 1024 && quantity.Value <= long.MaxValue ? (long)quantity.Value : null;
}

/// <summary>How a node runs its pods, as its flags said.</summary>
internal sealed record NodeRuntimeChoice(
    bool Simulated, string? Endpoint, string Bridge, string ServiceCidr, string ClusterDns, string ClusterDomain, IReadOnlyList<string> DnsUpstreams, IReadOnlyList<string>? NodePortAddresses, int AgentPort, ContainerLogLimits LogLimits, ImageGcPolicy ImageGc,
    NodeReservation Reserved, EvictionThresholds EvictionHard)
{
    /// <summary>Starts the runtime: containerd and the pod network for real containers, or a simulated runtime.</summary>
    public async Task<NodeRuntime> StartAsync(string agentDir, string clusterCidr, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (Simulated)
        {
            var network = new PodNetwork();
            var simulated = new SimulatedRuntime(network, TimeProvider.System);
            return new NodeRuntime(simulated, simulated, network, null, null, null, null, null, null, null, null);
        }
        var settings = new PodNetworkSettings(Bridge, clusterCidr, ServiceCidr) { ClusterDns = ClusterDns, ClusterDomain = ClusterDomain, DnsUpstreams = DnsUpstreams };
        var node = await ContainerdNode.StartAsync(
            new ContainerdNodeOptions(agentDir, Endpoint, settings) { LogLimits = LogLimits, ImageGc = ImageGc }, loggers, cancellationToken);
        return new NodeRuntime(node.Runtime, node.Handlers, node.Network, node.VolumesDir, node.LogsDir, node.Streams, node.Stats, node.FreeUnusedImagesAsync,
            settings, NodePortAddresses, node);
    }
}

/// <summary>
/// A started runtime, its handler runner, its pod network, where pods' volumes and logs go, how their containers'
/// streams are reached and their usage read, how the node's network is set up and where its NodePorts answer (none
/// for simulated pods); disposing stops what was started for it.
/// </summary>
internal sealed record NodeRuntime(
    IContainerRuntime Runtime, IHandlerRunner Handlers, PodNetwork Network, string? VolumesDir, string? LogsDir, IStreamingRuntime? Streaming, NodeStats? Stats,
    Func<CancellationToken, Task>? ReclaimDisk, PodNetworkSettings? NetworkSettings, IReadOnlyList<string>? NodePortAddresses, IAsyncDisposable? Owner)
    : IAsyncDisposable
{
    /// <summary>The service proxy (and cluster DNS) for the node's pods, for a node with real containers.</summary>
    public Task ServicesAsync(ApiClient client, NodeDescription node, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        NetworkSettings is null
            ? Task.CompletedTask
            : new NodeServices(client, node.Name, NetworkSettings, NodePortAddresses ?? [node.InternalIp + "/32", "127.0.0.1/32"], Network, loggers).RunAsync(cancellationToken);

    /// <summary>The agent's endpoint serving its pods' logs, streams and usage to the API server, for a node with real containers.</summary>
    public Task ServeAsync(NodeDescription node, X509Certificate2 clusterCa, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        LogsDir is null || Streaming is null || Stats is null
            ? Task.CompletedTask
            : new AgentEndpoint(System.Net.IPAddress.Parse(node.InternalIp), node.AgentPort, clusterCa, new ContainerLogs(Runtime, LogsDir, TimeProvider.System),
                new ContainerStreams(Runtime, Streaming), () => Stats.Summary(node.Name), TimeProvider.System, loggers.CreateLogger<AgentEndpoint>()).RunAsync(cancellationToken);

    /// <summary>The eviction of pods when the node runs short of memory or disk below <paramref name="thresholds"/>, for a node with real containers.</summary>
    public Task EvictAsync(ApiClient client, string nodeName, string dataDir, EvictionThresholds thresholds, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        Stats is null
            ? Task.CompletedTask
            : new EvictionManager(client, nodeName, dataDir, thresholds, Stats, ReclaimDisk, TimeProvider.System, loggers).RunAsync(cancellationToken);

    public ValueTask DisposeAsync() => Owner?.DisposeAsync() ?? ValueTask.CompletedTask;
}
