using System.Collections.Concurrent;
using Berth.Agent.Containerd;
using Berth.Agent.Cri.Protocol;
using Berth.Agent.Network;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;
using Grpc.Core;
using Grpc.Net.Client;
using ContainerConfig = Berth.Agent.Runtime.ContainerConfig;
using ContainerState = Berth.Agent.Runtime.ContainerState;
using ContainerStatus = Berth.Agent.Runtime.ContainerStatus;
using PodSandbox = Berth.Agent.Runtime.PodSandbox;
using PodSandboxConfig = Berth.Agent.Runtime.PodSandboxConfig;

namespace Berth.Agent.Cri;

/// <summary>
/// The agent's runtime on a real CRI runtime (containerd) over gRPC. What CRI's lists leave out, a sandbox's address
/// and a container's times and exit, is asked per item and kept while the item's state is unchanged, so that the
/// agent's frequent relists cost one call each.
/// </summary>
public sealed class CriRuntime : IContainerRuntime, IDisposable
{
    /// <summary>How long a call may take beyond any time it is given: pulls and stops wait on their own.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);

    private readonly GrpcChannel _channel;
    private readonly RuntimeService.RuntimeServiceClient _runtime;
    private readonly ImageService.ImageServiceClient _images;
    private readonly CriPaths _paths;
    private readonly ConcurrentDictionary<string, string> _sandboxIps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ContainerStatus> _statuses = new(StringComparer.Ordinal);

    /// <summary>The pod-level OOM kills already put down to a container, by pod uid.</summary>
    private readonly Dictionary<string, long> _podOomKills = new(StringComparer.Ordinal);

    private readonly RegistryCredentials _credentials;
    private readonly PodDns _dns;

    private CriRuntime(GrpcChannel channel, CriPaths paths, RegistryCredentials credentials, PodDns dns, string version)
    {
        _credentials = credentials;
        _dns = dns;
        _channel = channel;
        _runtime = new RuntimeService.RuntimeServiceClient(channel);
        _images = new ImageService.ImageServiceClient(channel);
        _paths = paths;
        Version = version;
    }

    public string Version { get; }

    public int PodWorkers => 16;

    internal RuntimeService.RuntimeServiceClient Runtime => _runtime;

    internal ImageService.ImageServiceClient Images => _images;

    /// <summary>
    /// Connects to the CRI runtime at <paramref name="socketPath"/> and asks its version. Pulls without credentials of
    /// their own use the node's <paramref name="credentials"/>.
    /// </summary>
    public static Task<CriRuntime> ConnectAsync(string socketPath, CriPaths paths, RegistryCredentials credentials, CancellationToken cancellationToken) =>
        ConnectAsync(socketPath, paths, credentials, null, cancellationToken);

    /// <summary>
    /// Connects as above; pods' resolv.conf names the cluster DNS and domain of <paramref name="network"/> (without one,
    /// the defaults: 10.43.0.10 and cluster.local).
    /// </summary>
    public static async Task<CriRuntime> ConnectAsync(string socketPath, CriPaths paths, RegistryCredentials credentials, PodNetworkSettings? network,
        CancellationToken cancellationToken)
    {
        var dns = new PodDns(network?.ClusterDns ?? PodNetworkSettings.DefaultClusterDns, network?.ClusterDomain ?? PodNetworkSettings.DefaultClusterDomain);
        var channel = CriConnection.Open(socketPath);
        try
        {
            var version = await new RuntimeService.RuntimeServiceClient(channel).VersionAsync(new VersionRequest { Version = "v1" }, cancellationToken: cancellationToken);
            return new CriRuntime(channel, paths, credentials, dns, $"{version.RuntimeName}://{version.RuntimeVersion}");
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, System.Text.Json.Nodes.JsonObject pod, CancellationToken cancellationToken)
    {
        var request = new RunPodSandboxRequest { Config = SandboxConfigs.For(pod, config, _paths, _dns) };
        Directory.CreateDirectory(request.Config.LogDirectory);
        PodCgroups.Create(_paths, pod, config.Uid);
        var response = await _runtime.RunPodSandboxAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        return response.PodSandboxId;
    }

    public async Task StopPodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        try
        {
            await _runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId }, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Gone already: stopped is what was wanted.
        }
    }

    public async Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var sandbox = (await ListPodSandboxesAsync(cancellationToken)).FirstOrDefault(s => s.Id == sandboxId);
        try
        {
            await _runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId }, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Gone already (its containers, or all of it): what was left of it is cleaned below.
        }
        _sandboxIps.TryRemove(sandboxId, out _);
        foreach (var container in _statuses.Values.Where(c => c.SandboxId == sandboxId))
            _statuses.TryRemove(container.Id, out _);
        // The runtime leaves the pod's cgroup and log directory behind; nothing of a removed pod may remain.
        if (sandbox is not null)
        {
            PodCgroups.Remove(_paths, sandbox.Pod.Uid);
            lock (_podOomKills)
                _podOomKills.Remove(sandbox.Pod.Uid);
            var logs = _paths.PodLogs(sandbox.Pod.Namespace, sandbox.Pod.Name, sandbox.Pod.Uid);
            if (Directory.Exists(logs))
                Directory.Delete(logs, recursive: true);
        }
    }

    public async Task<IReadOnlyList<PodSandbox>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        var listed = await _runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: Deadline(), cancellationToken: cancellationToken);
        var sandboxes = new List<PodSandbox>(listed.Items.Count);
        foreach (var item in listed.Items)
        {
            var ready = item.State == PodSandboxState.SandboxReady;
            // A sandbox keeps its address until it stops; a stopped one has none to ask for.
            if (!_sandboxIps.TryGetValue(item.Id, out var ip) && ready)
            {
                var status = await _runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = item.Id }, deadline: Deadline(), cancellationToken: cancellationToken);
                ip = _sandboxIps[item.Id] = status.Status.Network?.Ip ?? "";
            }
            var metadata = item.Metadata;
            sandboxes.Add(new PodSandbox(item.Id, new PodSandboxConfig(metadata.Name, metadata.Namespace, metadata.Uid, metadata.Attempt),
                ip ?? "", ready, Time(item.CreatedAt) ?? DateTimeOffset.UnixEpoch));
        }
        return sandboxes;
    }

    public async Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        var sandbox = SandboxConfigs.For(config.Pod, SandboxIdentity(config.Pod), _paths, _dns);
        var request = new CreateContainerRequest { PodSandboxId = sandboxId, Config = ContainerConfigs.For(config, sandbox), SandboxConfig = sandbox };
        var response = await _runtime.CreateContainerAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        return response.ContainerId;
    }

    public async Task<string?> ImageStatusAsync(string image, CancellationToken cancellationToken)
    {
        var status = await _images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, deadline: Deadline(), cancellationToken: cancellationToken);
        return status.Image?.Id;
    }

    /// <summary>Every image the runtime has: its names, ID and size.</summary>
    public async Task<IReadOnlyList<ImageInfo>> ListImagesAsync(CancellationToken cancellationToken)
    {
        var listed = await _images.ListImagesAsync(new ListImagesRequest(), deadline: Deadline(), cancellationToken: cancellationToken);
        return [.. listed.Images.Select(i => new ImageInfo([.. i.RepoTags], i.Id, i.Size))];
    }

    public async Task<string> PullImageAsync(string image, RegistryAuth? auth, System.Text.Json.Nodes.JsonObject pod, CancellationToken cancellationToken)
    {
        var request = new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = SandboxConfigs.For(pod, SandboxIdentity(pod), _paths, _dns) };
        // The credentials were chosen for this image's registry already; containerd would compare a server address
        // without a scheme as a URL and find no host in it.
        auth ??= _credentials.For(image);
        if (auth is not null)
            request.Auth = new AuthConfig { Username = auth.Username, Password = auth.Password, Auth = auth.Auth };
        try
        {
            var pulled = await _images.PullImageAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
            return pulled.ImageRef;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageUnavailableException("ErrImagePull", $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
        }
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        await _runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, deadline: Deadline(), cancellationToken: cancellationToken);
    }

    public async Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, timeout.TotalSeconds));
        try
        {
            await _runtime.StopContainerAsync(new StopContainerRequest { ContainerId = containerId, Timeout = seconds },
                deadline: Deadline(TimeSpan.FromSeconds(seconds)), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone: stopped is what was wanted.
        }
    }

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await _runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = containerId }, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Gone already.
        }
        _statuses.TryRemove(containerId, out _);
    }

    public async Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        var request = new ListContainersRequest { Filter = sandboxId is null ? null : new ContainerFilter { PodSandboxId = sandboxId } };
        var listed = await _runtime.ListContainersAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        var containers = new List<ContainerStatus>(listed.Containers.Count);
        foreach (var item in listed.Containers)
        {
            var state = State(item.State);
            if (!_statuses.TryGetValue(item.Id, out var known) || known.State != state)
                known = _statuses[item.Id] = await StatusAsync(item, cancellationToken);
            containers.Add(known);
        }
        return containers;
    }

    /// <summary>containerd 1.6 does not serve CRI's container events: the agent relists instead.</summary>
    public IAsyncEnumerable<ContainerEvent>? ContainerEvents(CancellationToken cancellationToken) => null;

    public void Dispose() => _channel.Dispose();

    /// <summary>The declared ports of a container, from what was kept with it when it was created.</summary>
    internal async Task<string?> PortsOfAsync(string containerId, CancellationToken cancellationToken)
    {
        var status = await _runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, deadline: Deadline(), cancellationToken: cancellationToken);
        return status.Status.Annotations.TryGetValue(ContainerConfigs.PortsAnnotation, out var ports) ? ports : null;
    }

    private async Task<ContainerStatus> StatusAsync(Container item, CancellationToken cancellationToken)
    {
        var status = (await _runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = item.Id }, deadline: Deadline(), cancellationToken: cancellationToken)).Status;
        var state = State(status.State);
        var reason = status.Reason;
        if (state == ContainerState.Exited && reason.Length == 0)
            reason = status.ExitCode == 0 ? "Completed" : "Error";
        if (state == ContainerState.Exited && reason == "Error" && status.ExitCode == 137 && item.Labels.TryGetValue(SandboxConfigs.PodUidLabel, out var uid)
            && (PodCgroups.ContainerOomKilled(_paths, uid, item.Id) || PodOomKilled(uid)))
        {
            reason = "OOMKilled";
        }
        return new ContainerStatus(item.Id, item.PodSandboxId, status.Metadata.Name, status.Metadata.Attempt, status.Image?.Image ?? item.Image?.Image ?? "",
            status.ImageRef, state, Time(status.CreatedAt) ?? DateTimeOffset.UnixEpoch, Time(status.StartedAt), Time(status.FinishedAt), status.ExitCode, reason,
            state == ContainerState.Exited ? TerminationMessages.Read(status) : "");
    }

    /// <summary>Whether a kill by the pod's memory limit is not yet put down to one of its containers; if so, this one takes it.</summary>
    private bool PodOomKilled(string uid)
    {
        var kills = PodCgroups.OomKills(_paths, uid);
        lock (_podOomKills)
        {
            var counted = _podOomKills.GetValueOrDefault(uid);
            if (kills <= counted)
                return false;
            _podOomKills[uid] = counted + 1;
            return true;
        }
    }

    private static PodSandboxConfig SandboxIdentity(System.Text.Json.Nodes.JsonObject pod)
    {
        var metadata = pod["metadata"]!;
        return new PodSandboxConfig(metadata["name"]!.ToString(), metadata["namespace"]!.ToString(), metadata["uid"]!.ToString(), 0);
    }

    private static ContainerState State(Protocol.ContainerState state) => state switch
    {
        Protocol.ContainerState.ContainerCreated => ContainerState.Created,
        Protocol.ContainerState.ContainerRunning => ContainerState.Running,
        _ => ContainerState.Exited,
    };

    /// <summary>CRI's times are nanoseconds since the epoch; 0 is none.</summary>
    private static DateTimeOffset? Time(long nanoseconds) => nanoseconds <= 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100);

    private static DateTime Deadline(TimeSpan extra = default) => DateTime.UtcNow + CallTimeout + extra;
}
