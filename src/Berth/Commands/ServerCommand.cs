using System.CommandLine;
using Berth.Agent;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Simulated;
using Berth.ApiServer;
using Berth.Client;
using Berth.Client.Leadership;
using Berth.Controllers;
using Berth.Controllers.Certificates;
using Berth.Controllers.NodeIpam;
using Berth.Scheduler.Configuration;
using Berth.Storage;
using Berth.Storage.Compaction;
using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// <c>berth server</c>: opens the datastore, keeps it compacted, and serves the Kubernetes API over HTTPS until
/// stopped (Ctrl+C or SIGTERM), and runs the controllers and a node agent for its own node as its clients over
/// loopback HTTPS (and hollow nodes with <c>--simulated-nodes</c>), and the scheduler.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "Where the server keeps its state.",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.UserName == "root" ? "/var/lib/berth" : ".berth"),
        };
        var datastore = new Option<string?>("--datastore-endpoint")
        {
            Description = "sqlite:///path/to/state.db (default: <data-dir>/server/db/state.db) or etcd://host:port[,host:port...]",
        };
        var bindAddress = new Option<string>("--bind-address")
        {
            Description = "The address to serve HTTPS on.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var httpsPort = new Option<int>("--https-port")
        {
            Description = "The port to serve HTTPS on (0: any free port).",
            DefaultValueFactory = _ => 6443,
        };
        var tlsSans = new Option<string[]>("--tls-san")
        {
            Description = "Another host name or IP address for the serving certificate (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var disableAgent = new Option<bool>("--disable-agent")
        {
            Description = "Do not run a node agent in the server process.",
        };
        var disableScheduler = new Option<bool>("--disable-scheduler")
        {
            Description = "Do not run the scheduler in the server process.",
        };
        var schedulerConfig = new Option<FileInfo?>("--scheduler-config")
        {
            Description = "A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1): profiles, plugins and their weights, percentageOfNodesToScore.",
        };
        var disableControllers = new Option<bool>("--disable-controller-manager")
        {
            Description = "Do not run the controllers in the server process (run them elsewhere, or measure the API server alone).",
        };
        var simulatedNodes = new Option<int>("--simulated-nodes")
        {
            Description = "Also serve this many hollow nodes (sim-0, sim-1, ...) from this process, with no containers behind them.",
        };
        var heartbeatOnly = new Option<bool>("--simulated-nodes-heartbeat-only")
        {
            Description = "The hollow nodes only register and heartbeat, and run none of the pods bound to them (as the nodes of upstream's scheduler_perf, which have no kubelet).",
        };
        var simulatedCapacity = new Option<string>("--simulated-node-capacity")
        {
            Description = "What each hollow node offers, e.g. cpu=64,memory=512Gi,ephemeral-storage=2Ti,pods=250 (default cpu=32,memory=256Gi,ephemeral-storage=1Ti,pods=110).",
            DefaultValueFactory = _ => "",
        };
        var clusterCidr = new Option<string>("--cluster-cidr")
        {
            Description = "The pod network, from which each node gets a /24 for its pods' addresses.",
            DefaultValueFactory = _ => NodeIpamOptions.Default.ClusterCidr,
        };
        var nodePortRange = new Option<string>("--service-node-port-range")
        {
            Description = "The ports NodePort and LoadBalancer Services' node ports come from, as N-M.",
            DefaultValueFactory = _ => "30000-32767",
        };
        var runtime = new RuntimeFlags();
        var command = new Command("server", "Run a Berth server.")
        {
            dataDir, datastore, bindAddress, httpsPort, tlsSans, disableAgent, disableControllers, disableScheduler, schedulerConfig, simulatedNodes, heartbeatOnly,
            simulatedCapacity, clusterCidr, nodePortRange,
        };
        runtime.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(simulatedNodes) < 0)
                result.AddError("--simulated-nodes must not be negative");
            if (NodeCapacity.Parse(result.GetValue(simulatedCapacity) ?? "", NodeCapacity.Simulated, out var error) is null)
                result.AddError($"--simulated-node-capacity: {error}");
            try
            {
                // A validator sees no default value, only what was given.
                if (result.GetValue(clusterCidr) is { Length: > 0 } cidr)
                    _ = new CidrSet(cidr, NodeIpamOptions.Default.NodeCidrPrefix);
            }
            catch (FormatException e)
            {
                result.AddError($"--cluster-cidr: {e.Message}");
            }
            if (result.GetValue(nodePortRange) is { } range)
            {
                foreach (var problem in new ApiServerOptions { DataDir = ".", ServiceNodePortRange = range }.Validate())
                    result.AddError(problem);
            }
        });
        command.SetAction((parse, cancellationToken) =>
        {
            var nodeRuntime = runtime.Read(parse);
            return RunAsync(
                parse.GetValue(dataDir)!,
                parse.GetValue(datastore),
                new ServerParts(!parse.GetValue(disableControllers), !parse.GetValue(disableScheduler), parse.GetValue(schedulerConfig), !parse.GetValue(disableAgent),
                    parse.GetValue(simulatedNodes), !parse.GetValue(heartbeatOnly), NodeCapacity.Parse(parse.GetValue(simulatedCapacity) ?? "", NodeCapacity.Simulated, out _)!,
                    NodeIpamOptions.Default with { ClusterCidr = parse.GetValue(clusterCidr)! }, nodeRuntime),
                new ApiServerOptions
                {
                    DataDir = parse.GetValue(dataDir)!.FullName,
                    BindAddress = parse.GetValue(bindAddress)!,
                    HttpsPort = parse.GetValue(httpsPort),
                    TlsSans = parse.GetValue(tlsSans) ?? [],
                    // One --service-cidr (the node's flag) says both what the node blackholes and what the API server allocates from.
                    ServiceCidr = nodeRuntime.ServiceCidr,
                    ServiceNodePortRange = parse.GetValue(nodePortRange)!,
                },
                cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo dataDir, string? datastore, ServerParts parts, ApiServerOptions options, CancellationToken cancellationToken)
    {
        StoreEndpoint endpoint;
        try
        {
            endpoint = datastore is null
                ? StoreEndpoint.Sqlite(Path.Combine(dataDir.FullName, "server", "db", "state.db"))
                : StoreEndpoint.Parse(datastore);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"berth server: --datastore-endpoint: {e.Message}");
            return 2;
        }
        SchedulerConfiguration schedulerConfiguration;
        try
        {
            schedulerConfiguration = parts.SchedulerConfig is null ? SchedulerConfiguration.Default : SchedulerConfiguration.Load(parts.SchedulerConfig.FullName);
            schedulerConfiguration.Validate();
        }
        catch (SchedulerConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"berth server: --scheduler-config: {e.Message}");
            return 2;
        }
        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            await Console.Error.WriteLineAsync($"berth server: --bind-address: \"{options.BindAddress}\" is not an IP address");
            return 2;
        }
        if (options.Validate() is [var optionsProblem, ..])
        {
            await Console.Error.WriteLineAsync($"berth server: {optionsProblem}");
            return 2;
        }

        ThreadPoolFloor.Raise();
        using var loggerFactory = DaemonLogging.Create();
        IStore store;
        try
        {
            store = await StoreFactory.OpenAsync(endpoint, loggerFactory, cancellationToken);
        }
        catch (StoreOpenException e)
        {
            await Console.Error.WriteLineAsync($"berth server: {e.Message}");
            return 1;
        }

        await using (store)
        {
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var compactor = new AutoCompactor(store, new CompactionPolicy(), TimeProvider.System, loggerFactory.CreateLogger<AutoCompactor>());
            var compaction = compactor.RunAsync(stopping.Token);
            try
            {
                await using var api = await ApiServerHost.StartAsync(options, store, loggerFactory, cancellationToken);
                Console.WriteLine($"berth server: serving the Kubernetes API at {api.Url} (datastore {endpoint}).");
                Console.WriteLine($"export KUBECONFIG={api.KubeconfigPath}");
                // The node first: if it cannot run containers, the server stops before anything else has started.
                await using var nodes = await NodeAgents.StartAsync(api, parts, options.DataDir, loggerFactory, stopping.Token);
                using var client = parts.Controllers ? ApiClient.Create(api.Url, api.CertificateAuthority, api.ControllerManagerCertificate) : null;
                var controllers = client is null ? Task.CompletedTask : Elected(client, "kube-controller-manager", options.DataDir, loggerFactory,
                    new ControllerManager(client, loggerFactory, TimeProvider.System, new ClusterCaSigner(api.SigningAuthority, TimeProvider.System), nodeIpam: parts.NodeIpam,
                        rootCaPem: api.CertificateAuthority.ExportCertificatePem() + "\n").RunAsync,
                    stopping.Token);
                using var schedulerClient = parts.Scheduler ? ApiClient.Create(api.Url, api.CertificateAuthority, api.SchedulerCertificate) : null;
                var scheduler = schedulerClient is null ? Task.CompletedTask : Elected(schedulerClient, "kube-scheduler", options.DataDir, loggerFactory,
                    new Scheduler.Scheduler(schedulerClient, schedulerConfiguration, TimeProvider.System, loggerFactory).RunAsync, stopping.Token);
                await WaitForStopAsync(cancellationToken);
                await stopping.CancelAsync();
                await controllers;
                await scheduler;
                await nodes.Running;
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"berth server: cannot serve on {options.BindAddress}:{options.HttpsPort}: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                await Console.Error.WriteLineAsync($"berth server: cannot run containers on this node: {e.Message} (--runtime simulated runs pods without them)");
                return 1;
            }
            finally
            {
                await stopping.CancelAsync();
                await compaction;
            }
        }
        return 0;
    }

    /// <summary>
    /// Runs <paramref name="work"/> while this server holds the Lease <c>kube-system/{lease}</c>, as upstream's
    /// controller manager and scheduler do, so that of several servers sharing a datastore only one runs each. The
    /// candidate is named by host and data directory, so a server restarted after a crash takes its lease back at once.
    /// </summary>
    private static Task Elected(ApiClient client, string lease, string dataDir, ILoggerFactory loggers, Func<CancellationToken, Task> work,
        CancellationToken cancellationToken)
    {
        var instance = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir))))[..12];
        var identity = $"{System.Net.Dns.GetHostName().ToLowerInvariant()}_{instance}";
        return new LeaderElector(client, "kube-system", lease, identity, LeaderElectionTiming.Default, TimeProvider.System, loggers.CreateLogger<LeaderElector>())
            .RunAsync(work, cancellationToken);
    }

    private static async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: shut down cleanly.
        }
    }

    /// <summary>Which parts run beside the API server.</summary>
    private sealed record ServerParts(bool Controllers, bool Scheduler, FileInfo? SchedulerConfig, bool Agent, int SimulatedNodes, bool SimulatedPods, NodeCapacity SimulatedCapacity,
        NodeIpamOptions NodeIpam, NodeRuntimeChoice Runtime);

    /// <summary>The server's own node agent and its hollow nodes, each over loopback HTTPS with node credentials.</summary>
    private sealed class NodeAgents : IAsyncDisposable
    {
        private readonly List<ApiClient> _clients = [];
        private NodeRuntime? _runtime;

        public Task Running { get; private set; } = Task.CompletedTask;

        public static async Task<NodeAgents> StartAsync(ApiServerHost api, ServerParts parts, string dataDir, ILoggerFactory loggers, CancellationToken cancellationToken)
        {
            var started = new NodeAgents();
            var running = new List<Task>();
            if (parts.Agent)
            {
                var name = System.Net.Dns.GetHostName().ToLowerInvariant();
                var client = started.Client(api, name);
                var node = started._runtime = await parts.Runtime.StartAsync(Path.Combine(dataDir, "agent"), parts.NodeIpam.ClusterCidr, loggers, cancellationToken);
                var own = LocalMachine.Describe(name, new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "" }, node.Runtime.Version, dataDir,
                    parts.Runtime.AgentPort, parts.Runtime.Reserved, parts.Runtime.EvictionHard);
                var pods = new PodLifecycle(client, node.Runtime, node.Handlers, name, own.InternalIp, TimeProvider.System, loggers, volumesDir: node.VolumesDir);
                running.Add(new NodeAgent(client, own, NodeAgentTiming.Default, TimeProvider.System, loggers.CreateLogger<NodeAgent>(), pods, node.Network).RunAsync(cancellationToken));
                running.Add(node.ServeAsync(own, api.CertificateAuthority, loggers, cancellationToken));
                running.Add(node.ServicesAsync(client, own, loggers, cancellationToken));
                running.Add(node.EvictAsync(client, name, dataDir, parts.Runtime.EvictionHard, loggers, cancellationToken));
            }
            if (parts.SimulatedNodes > 0)
            {
                var client = started.Client(api, "simulated");
                running.Add(HollowNodes.Create(client, parts.SimulatedNodes, parts.SimulatedCapacity, NodeAgentTiming.Default, TimeProvider.System, loggers,
                    runPods: parts.SimulatedPods).RunAsync(cancellationToken));
            }
            started.Running = Task.WhenAll(running);
            return started;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
                client.Dispose();
            if (_runtime is not null)
                await _runtime.DisposeAsync();
        }

        private ApiClient Client(ApiServerHost api, string nodeName)
        {
            var client = ApiClient.Create(api.Url, api.CertificateAuthority, api.IssueNodeCertificate(nodeName));
            _clients.Add(client);
            return client;
        }
    }
}
