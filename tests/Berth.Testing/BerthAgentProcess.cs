using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Berth.Testing;

/// <summary>
/// A real <c>berth agent</c> in its own process, joining a server with a data directory the caller owns (so that a
/// second run can reuse the first one's credentials). Its output is kept for assertions; it is killed by PID on
/// dispose if still running.
/// </summary>
public sealed class BerthAgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private BerthAgentProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    /// <summary>Everything the agent printed so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The agent's resident memory (its own process; containerd and the shims are processes of their own).</summary>
    public long RssBytes() => ProcessMemory.RssBytes(_process.Id);

    /// <summary>The environment the agent's process runs with now, as <c>NAME=value</c> entries.</summary>
    public IReadOnlyList<string> Environment() =>
        File.ReadAllText($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Starts <c><paramref name="binary"/> agent --server … --token … --node-name … --data-dir …</c> and any
    /// <paramref name="flags"/>; joined agents run their pods simulated unless the flags name a runtime.
    /// </summary>
    public static BerthAgentProcess Start(string binary, Uri server, string token, string nodeName, string dataDir, params string[] flags)
    {
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{binary} is missing: build the solution first.");
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "agent", "--server", server.ToString(), "--token", token, "--node-name", nodeName, "--data-dir", dataDir }
            .Concat(flags.Contains("--runtime") ? [] : ["--runtime", "simulated"]).Concat(flags))
            info.ArgumentList.Add(arg);
        var agent = new BerthAgentProcess(new Process { StartInfo = info });
        agent._process.Start();
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>Waits for the agent to exit on its own and returns its exit code; a timeout fails, with what it printed.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"berth agent did not exit within {timeout.TotalSeconds:0} s; it printed:\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>Stops the agent as a service manager would (SIGTERM) and waits for it to exit.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await WaitForExitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }
}
