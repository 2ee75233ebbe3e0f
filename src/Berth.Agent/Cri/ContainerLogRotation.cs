using System.Globalization;
using Berth.Agent.Cri.Protocol;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Cri;

/// <summary>
/// Keeps containers' log files within bounds, as upstream's container log manager does: every 10 seconds, a running
/// container's log larger than <see cref="ContainerLogLimits.MaxBytes"/> is renamed <c>&lt;log&gt;.&lt;time&gt;</c> and the
/// runtime told to reopen it (CRI's ReopenContainerLog); then the oldest rotated files go until
/// <see cref="ContainerLogLimits.MaxFiles"/> remain with the live one. Rotated files stay uncompressed (upstream gzips
/// all but the newest). <c>kubectl logs</c> reads the live file only, as upstream's does.
/// </summary>
internal sealed partial class ContainerLogRotation(CriRuntime runtime, CriPaths paths, ContainerLogLimits limits, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RotateAsync(cancellationToken);
                await Task.Delay(Period, time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e)
            {
                Log.RuntimeUnavailable(logger, e.Status.Detail);
                await Task.Delay(Period, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task RotateAsync(CancellationToken cancellationToken)
    {
        var running = await runtime.Runtime.ListContainersAsync(
            new ListContainersRequest { Filter = new ContainerFilter { State = new ContainerStateValue { State = Protocol.ContainerState.ContainerRunning } } },
            cancellationToken: cancellationToken);
        foreach (var container in running.Containers)
        {
            // The log's path follows from the pod and container the agent labelled it with; containers of others are not the agent's to rotate.
            if (!container.Labels.TryGetValue(SandboxConfigs.PodNamespaceLabel, out var ns) || !container.Labels.TryGetValue(SandboxConfigs.PodNameLabel, out var pod)
                || !container.Labels.TryGetValue(SandboxConfigs.PodUidLabel, out var uid) || container.Metadata is not { } metadata)
            {
                continue;
            }
            var path = paths.ContainerLog(ns, pod, uid, metadata.Name, metadata.Attempt);
            RemoveOldest(path, limits.MaxFiles - 1);
            if (new FileInfo(path) is { Exists: true } live && live.Length > limits.MaxBytes)
                await RotateAsync(container.Id, path, cancellationToken);
        }
    }

    private async Task RotateAsync(string containerId, string path, CancellationToken cancellationToken)
    {
        var rotated = $"{path}.{time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        if (File.Exists(rotated))
            return; // Rotated already this second.
        File.Move(path, rotated);
        try
        {
            await runtime.Runtime.ReopenContainerLogAsync(new ReopenContainerLogRequest { ContainerId = containerId }, cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            // The container still writes to the renamed file: give it its name back.
            File.Move(rotated, path);
            Log.ReopenFailed(logger, path, e.Status.Detail);
            return;
        }
        RemoveOldest(path, limits.MaxFiles - 1);
    }

    /// <summary>Removes the oldest rotated files of <paramref name="path"/> beyond <paramref name="keep"/>.</summary>
    private static void RemoveOldest(string path, int keep)
    {
        var prefix = path + ".";
        // Matched by hand: the pattern "0.log.*" also matches "0.log" itself. The time in the names sorts as text.
        var rotated = Directory.EnumerateFiles(Path.GetDirectoryName(path)!).Where(f => f.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var old in rotated.Order(StringComparer.Ordinal).SkipLast(Math.Max(keep, 0)))
            File.Delete(old);
    }

    private static partial class Log
    {
        [LoggerMessage(4340, LogLevel.Warning, "Log rotation: the runtime could not reopen {Path}: {Reason}")]
        public static partial void ReopenFailed(ILogger logger, string path, string reason);

        [LoggerMessage(4341, LogLevel.Warning, "Log rotation: the runtime did not answer: {Reason}")]
        public static partial void RuntimeUnavailable(ILogger logger, string reason);
    }
}

/// <summary>How large a container's log may grow before it is rotated, and how many files of it are kept (upstream's containerLogMaxSize and containerLogMaxFiles).</summary>
public sealed record ContainerLogLimits(long MaxBytes, int MaxFiles)
{
    public static ContainerLogLimits Default { get; } = new(10 * 1024 * 1024, 5);
}
