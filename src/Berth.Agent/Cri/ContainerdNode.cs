using Berth.Agent.Containerd;
using Berth.Agent.Network;
using Berth.Agent.Nodes;
using Berth.Agent.Stats;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Cri;

/// <summary>
/// Everything a node needs to run real containers, started in order: the host's side of the pod network, the
/// agent's own containerd (unless <see cref="ContainerdNodeOptions.Endpoint"/> names a CRI runtime already running),
/// the image archives in <c>&lt;agent&gt;/images</c>, the CRI client, the rotation of containers' logs, the collection
/// of unused images and the reading of their resource usage. The CNI configuration is written when the node learns
/// its pod CIDR.
/// </summary>
public sealed partial class ContainerdNode : IAsyncDisposable
{
    private readonly ContainerdSupervisor? _containerd;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _logRotation;
    private readonly Task _imageGc;
    private readonly ImageGarbageCollection _images;
    private readonly Task _stats;

    private ContainerdNode(ContainerdSupervisor? containerd, CriRuntime runtime, PodNetwork network, ContainerdLayout layout, ContainerLogRotation logRotation,
        ImageGarbageCollection imageGc)
    {
        VolumesDir = layout.Pods;
        LogsDir = layout.Logs;
        _containerd = containerd;
        Runtime = runtime;
        Handlers = new CriHandlers(runtime);
        Streams = new CriStreams(runtime);
        Network = network;
        _logRotation = logRotation.RunAsync(_stopping.Token);
        _imageGc = imageGc.RunAsync(_stopping.Token);
        _images = imageGc;
        Stats = new NodeStats(new CriStats(runtime), TimeProvider.System);
        _stats = Stats.RunAsync(_stopping.Token);
    }

    public CriRuntime Runtime { get; }

    /// <summary>Removes every unused image that may go: what the eviction manager asks first when the disk is short.</summary>
    public Task FreeUnusedImagesAsync(CancellationToken cancellationToken) => _images.FreeUnusedAsync(cancellationToken);

    public CriHandlers Handlers { get; }

    public CriStreams Streams { get; }

    /// <summary>The node's and its containers' resource usage, read every few seconds.</summary>
    public NodeStats Stats { get; }

    public PodNetwork Network { get; }

    /// <summary>Where pods' volumes are set up (<c>&lt;agent&gt;/pods</c>).</summary>
    public string VolumesDir { get; }

    /// <summary>Where the runtime writes pods' container logs (<c>&lt;agent&gt;/logs/pods</c>).</summary>
    public string LogsDir { get; }

    public static async Task<ContainerdNode> StartAsync(ContainerdNodeOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger<ContainerdNode>();
        var layout = new ContainerdLayout(options.AgentDir);
        options.Network.Save(options.AgentDir);
        await HostNetworking.EnsureAsync(options.Network, logger);
        ContainerdSupervisor? containerd = null;
        var socket = options.Endpoint;
        if (socket is null)
        {
            containerd = new ContainerdSupervisor(layout, options.SandboxImage, options.CniBinDir, loggers.CreateLogger<ContainerdSupervisor>());
            await containerd.StartAsync(cancellationToken);
            socket = containerd.Socket;
            var imported = await ImageArchives.ImportFolderAsync(socket, layout.Images, cancellationToken);
            if (imported > 0)
                Log.Imported(logger, imported, layout.Images);
        }
        try
        {
            var paths = new CriPaths(layout.Logs, options.CgroupRoot);
            // registries.yaml is the agent's own containerd's configuration, like its mirrors.
            var credentials = containerd is null ? RegistryCredentials.None : RegistryCredentials.Load(options.AgentDir);
            var runtime = await CriRuntime.ConnectAsync(socket, paths, credentials, options.Network, cancellationToken);
            var network = new PodNetwork(cidr =>
            {
                CniConfig.Write(layout.CniConfDir, options.Network, cidr, layout.CniIpamDir);
                Log.CniWritten(logger, cidr.ToString(), options.Network.Bridge);
            });
            var logRotation = new ContainerLogRotation(runtime, paths, options.LogLimits, TimeProvider.System, loggers.CreateLogger<ContainerLogRotation>());
            var imageGc = new ImageGarbageCollection(runtime, options.ImageGc, options.SandboxImage, TimeProvider.System, loggers.CreateLogger<ImageGarbageCollection>());
            return new ContainerdNode(containerd, runtime, network, layout, logRotation, imageGc);
        }
        catch
        {
            if (containerd is not null)
                await containerd.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _logRotation;
        await _imageGc;
        _images.Dispose();
        await _stats;
        _stopping.Dispose();
        Handlers.Dispose();
        Runtime.Dispose();
        if (_containerd is not null)
            await _containerd.DisposeAsync();
    }

    private static partial class Log
    {
        [LoggerMessage(4320, LogLevel.Information, "Imported {Count} image archive(s) from {Folder}")]
        public static partial void Imported(ILogger logger, int count, string folder);

        [LoggerMessage(4321, LogLevel.Information, "Pod network {Cidr} configured on bridge {Bridge}")]
        public static partial void CniWritten(ILogger logger, string cidr, string bridge);
    }
}
