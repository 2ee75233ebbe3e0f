using System.Diagnostics;
using Berth.Agent.Containerd;
using Berth.Agent.Network;
using Berth.Agent.Nodes;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Cri;

/// <summary>
/// Takes down everything a node's agent set up on the host, as a reboot would: every pod (through CRI, so that CNI
/// releases addresses, veths and host-port rules), the agent's containerd and any shim of it still running, mounts
/// under the agent's folder, the pod network's routes, forwarding chain and bridge. Used by <c>berth cleanup</c>.
/// </summary>
public static partial class NodeCleanup
{
    public static async Task CleanAsync(string agentDir, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(NodeCleanup));
        var layout = new ContainerdLayout(agentDir);
        var settings = PodNetworkSettings.Load(agentDir);
        var paths = new CriPaths(layout.Logs, ContainerdNodeOptions.DefaultCgroupRoot);
        if (File.Exists(layout.ConfigFile))
        {
            // A containerd of the node's own, started just for this if it is not running, so that pods go through CRI.
            await using var containerd = await RunningOrStartedAsync(layout, loggers, cancellationToken);
            using var runtime = await CriRuntime.ConnectAsync(layout.Socket, paths, RegistryCredentials.None, cancellationToken);
            var sandboxes = await runtime.ListPodSandboxesAsync(cancellationToken);
            foreach (var sandbox in sandboxes)
            {
                await runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken);
                await runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken);
            }
            Log.PodsRemoved(logger, sandboxes.Count);
        }
        await StopDaemonsAsync(layout, cancellationToken);
        await UnmountAsync(agentDir);
        if (settings is not null)
            await HostNetworking.RemoveAsync(settings);
        // Each pod's cgroup went with its sandbox; the QoS cgroups and the root go if no other node's pods are in them.
        PodCgroups.RemoveQosTree(paths);
        Log.Cleaned(logger, agentDir);
    }

    private static async Task<IAsyncDisposable> RunningOrStartedAsync(ContainerdLayout layout, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = await CriRuntime.ConnectAsync(layout.Socket, new CriPaths(layout.Logs, ContainerdNodeOptions.DefaultCgroupRoot), RegistryCredentials.None, cancellationToken);
            return new Nothing();
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException)
        {
            // The configuration the agent wrote is used as it is.
            var supervisor = new ContainerdSupervisor(layout, ContainerdNodeOptions.DefaultSandboxImage, "/usr/lib/cni", loggers.CreateLogger<ContainerdSupervisor>(), rewriteConfig: false);
            await supervisor.StartAsync(cancellationToken);
            return supervisor;
        }
    }

    /// <summary>Stops the node's containerd and any of its shims left.</summary>
    private static async Task StopDaemonsAsync(ContainerdLayout layout, CancellationToken cancellationToken)
    {
        foreach (var pid in LeftoverProcesses.All(layout))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
        }
    }

    /// <summary>Unmounts whatever is still mounted under the agent's folder (overlay roots, network namespaces, shm), deepest first.</summary>
    private static async Task UnmountAsync(string agentDir)
    {
        var root = Path.GetFullPath(agentDir).TrimEnd('/') + "/";
        var mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(point => point.StartsWith(root, StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(point => point.Length);
        foreach (var point in mounts)
            await HostCommand.RunAsync("umount", "-l", point);
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(4330, LogLevel.Information, "Stopped and removed {Count} pod sandbox(es)")]
        public static partial void PodsRemoved(ILogger logger, int count);

        [LoggerMessage(4331, LogLevel.Information, "Nothing of the node in {Folder} runs any more: pods, containerd, mounts and the pod network are gone")]
        public static partial void Cleaned(ILogger logger, string folder);
    }
}
