using System.Diagnostics;

namespace Berth.Testing;

/// <summary>
/// A real single-member etcd (Debian's etcd-server) on loopback, on random ports, with its data in a temp
/// directory. It is stopped by PID and its data removed on dispose; <see cref="KillAsync"/> and
/// <see cref="StartAsync(CancellationToken)"/> simulate a crash and restart on the same data.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private const string Binary = "/usr/bin/etcd";

    private readonly TempDirectory _dataDir = new("etcd");
    private readonly TimeSpan _progressInterval;
    private Process? _process;
    private int _clientPort = FreePort.Next();
    private int _peerPort = FreePort.Next();

    private EtcdProcess(TimeSpan progressInterval) => _progressInterval = progressInterval;

    public Uri ClientUrl => new(ClientAddress);

    /// <summary>The client URL as etcd's flags want it: no trailing slash.</summary>
    private string ClientAddress => $"http://127.0.0.1:{_clientPort}";

    public string Endpoint => $"etcd://127.0.0.1:{_clientPort}";

    public string DataDir => _dataDir.Path;

    /// <summary>Starts etcd; <paramref name="progressInterval"/> is how often idle watchers get progress notifications.</summary>
    public static async Task<EtcdProcess> StartAsync(TimeSpan progressInterval, CancellationToken cancellationToken)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: run scripts/install-deps.sh (it installs Debian's etcd-server).");
        var etcd = new EtcdProcess(progressInterval);
        try
        {
            await etcd.StartAsync(cancellationToken);
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    /// <summary>(Re)starts the member on its data directory and its ports, and waits until it is healthy.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var peer = $"http://127.0.0.1:{_peerPort}";
            var info = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--name", "berth-test",
                "--data-dir", DataDir,
                "--listen-client-urls", ClientAddress,
                "--advertise-client-urls", ClientAddress,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "berth-test=" + peer,
                "--experimental-watch-progress-notify-interval", $"{(int)_progressInterval.TotalMilliseconds}ms",
                "--logger", "zap",
                "--log-outputs", "stderr",
                "--log-level", "error",
            })
            {
                info.ArgumentList.Add(arg);
            }
            var log = new System.Text.StringBuilder();
            var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;

            if (await WaitHealthyAsync(process, cancellationToken))
                return;
            await KillAsync();
            if (!Directory.EnumerateFileSystemEntries(DataDir).Any())
            {
                // Never started: a port may have been taken meanwhile, so try fresh ones.
                _clientPort = FreePort.Next();
                _peerPort = FreePort.Next();
            }
            if (attempt == 3)
            {
                string output;
                lock (log)
                    output = log.ToString();
                throw new InvalidOperationException($"etcd did not become healthy on {ClientUrl}:\n{output}");
            }
        }
    }

    /// <summary>Kills the member with SIGKILL, as a crash would, and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
            return;
        _process = null;
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _dataDir.Dispose();
    }

    private async Task<bool> WaitHealthyAsync(Process process, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (DateTime.UtcNow < deadline && !process.HasExited && await poll.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var body = await http.GetStringAsync(new Uri(ClientUrl, "/health"), cancellationToken);
                if (body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                    return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        return false;
    }
}
