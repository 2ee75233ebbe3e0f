using System.Diagnostics;
using Berth.Agent.Cri;
using Berth.Agent.Nodes;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Containerd;

/// <summary>
/// Runs the agent's own containerd: writes its configuration, starts it, waits until its CRI answers, and starts it
/// again whenever it dies. Stopping the agent stops containerd but not the pods: their shims keep them running, and
/// the next containerd finds them again, as upstream's kubelet and containerd do. With <paramref name="rewriteConfig"/>
/// false the configuration written before is used as it is.
/// </summary>
public sealed partial class ContainerdSupervisor(ContainerdLayout layout, string sandboxImage, string cniBinDir, ILogger logger, bool rewriteConfig = true) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private Process? _process;
    private Task _supervising = Task.CompletedTask;

    public string Socket => layout.Socket;

    /// <summary>Starts containerd and returns once it answers; then keeps it running until disposed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var dir in new[] { layout.Directory, layout.Root, layout.State, layout.RuncRoot, layout.Opt, layout.CertsDir, layout.CniConfDir, layout.Images, layout.Logs })
            Directory.CreateDirectory(dir);
        if (rewriteConfig)
        {
            await File.WriteAllTextAsync(layout.ConfigFile, ContainerdConfig.Render(layout, sandboxImage, cniBinDir), cancellationToken);
            RegistryHosts.Write(layout.AgentDir, layout.CertsDir);
        }
        await LaunchAsync(cancellationToken);
        _supervising = SuperviseAsync(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _supervising;
        if (_process is { HasExited: false } process)
            await StopAsync(process.Id, CancellationToken.None);
        _process?.Dispose();
        _stop.Dispose();
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        // A containerd of this node's from a run that ended without stopping it goes first: two on one root never work.
        foreach (var pid in LeftoverProcesses.Daemons(layout))
        {
            Log.Leftover(logger, pid);
            await StopAsync(pid, cancellationToken);
        }
        if (File.Exists(layout.Socket))
            File.Delete(layout.Socket);
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // The shell only opens the log for containerd and becomes it.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec containerd --config \"$1\" >>\"$2\" 2>&1");
        start.ArgumentList.Add("containerd");
        start.ArgumentList.Add(layout.ConfigFile);
        start.ArgumentList.Add(layout.Log);
        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException("containerd could not be started");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"containerd exited with {_process.ExitCode} as it started; see {layout.Log}");
            if (File.Exists(layout.Socket))
            {
                try
                {
                    using var probe = await CriRuntime.ConnectAsync(layout.Socket, new CriPaths(layout.Logs, "/"), RegistryCredentials.None, cancellationToken);
                    Log.Started(logger, _process.Id, probe.Version, layout.Socket);
                    return;
                }
                catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException && DateTime.UtcNow < deadline)
                {
                    // Not serving yet.
                }
            }
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"containerd did not answer on {layout.Socket} within {StartTimeout.TotalSeconds:0}s; see {layout.Log}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    /// <summary>Stops a containerd: SIGTERM lets it close cleanly (the shims and the pods stay), SIGKILL if it takes over 10 s.</summary>
    private static async Task StopAsync(int pid, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return;
        }
        using var owned = process;
        await HostCommand.RunAsync("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
        }
    }

    /// <summary>Starts containerd again each time it dies, waiting longer after each death in a row (up to 30 s).</summary>
    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        try
        {
            while (true)
            {
                await _process!.WaitForExitAsync(cancellationToken);
                Log.Died(logger, _process.ExitCode, delay.TotalSeconds, layout.Log);
                await Task.Delay(delay, cancellationToken);
                try
                {
                    await LaunchAsync(cancellationToken);
                    delay = TimeSpan.FromMilliseconds(500);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    Log.RestartFailed(logger, e.Message);
                    delay = delay * 2 > MaxRestartDelay ? MaxRestartDelay : delay * 2;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4300, LogLevel.Information, "containerd (pid {Pid}, {Version}) serves CRI on {Socket}")]
        public static partial void Started(ILogger logger, int pid, string version, string socket);

        [LoggerMessage(4301, LogLevel.Warning, "containerd exited with {Code}; starting it again in {Seconds}s (its log: {Log})")]
        public static partial void Died(ILogger logger, int code, double seconds, string log);

        [LoggerMessage(4303, LogLevel.Warning, "containerd {Pid} of an earlier run of this node is still running; stopping it first")]
        public static partial void Leftover(ILogger logger, int pid);

        [LoggerMessage(4302, LogLevel.Error, "containerd could not be started again: {Reason}")]
        public static partial void RestartFailed(ILogger logger, string reason);
    }
}
