using System.Diagnostics;
using System.Globalization;
namespace Berth.Testing;

/// <summary>A real <c>bin/berth server</c> in its own process (so its memory and CPU can be measured), on a free loopback port.</summary>
public sealed class BerthServerProcess : IAsyncDisposable
{
    private readonly TempDirectory _dataDir;
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private bool _disposed;

    /// <summary>How much of the server's output <see cref="Output"/> keeps: enough for a test's run, not a long benchmark's.</summary>
    private const int OutputLimit = 8 << 20;

    private BerthServerProcess(TempDirectory dataDir, Process process, int port)
    {
        _dataDir = dataDir;
        _process = process;
        Url = new Uri($"https://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static Task<BerthServerProcess> StartAsync(string binary, params string[] flags) => StartAsync(binary, _ => { }, flags);

    /// <summary>Starts the server once <paramref name="prepare"/> has put what it needs into its data directory.</summary>
    public static async Task<BerthServerProcess> StartAsync(string binary, Action<string> prepare, params string[] flags)
    {
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{binary} is missing: run `make build` first.");
        var port = FreePort.Next();
        var dataDir = new TempDirectory("bench-server");
        prepare(dataDir.Path);
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "server", "--data-dir", dataDir.Path, "--https-port", port.ToString(CultureInfo.InvariantCulture) }.Concat(flags))
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        // BERTH_SERVER_LOG names a file that keeps the server's output, to see why a bench's server misbehaved.
        if (Environment.GetEnvironmentVariable("BERTH_SERVER_LOG") is { Length: > 0 } log)
        {
            var writer = TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
            process.OutputDataReceived += (_, e) => writer.WriteLine(e.Data);
            process.ErrorDataReceived += (_, e) => writer.WriteLine(e.Data);
            process.Exited += (_, _) => writer.WriteLine($"berth server exited with {process.ExitCode}");
            process.EnableRaisingEvents = true;
        }
        var server = new BerthServerProcess(dataDir, process, port);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>What the server has written to its standard output and error so far (the first 8 MiB).</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private void Keep(string? line)
    {
        lock (_output)
        {
            if (line is not null && _output.Length + line.Length < OutputLimit)
                _output.AppendLine(line);
        }
    }

    /// <summary>The server's resident memory, from /proc.</summary>
    public long RssBytes() => ProcessMemory.RssBytes(_process.Id);

    /// <summary>The CPU time the server has used so far (user and system), from /proc.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name (which may hold spaces) start after the last ')'; utime and stime are 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ, which Linux fixes at 100 on every architecture Berth runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    public HttpClient CreateClient()
    {
        // Receive windows as Go's HTTP/2 client (client-go, kubectl) opens them: 4 MiB per stream.
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, MaxConnectionsPerServer = 64, InitialHttp2StreamWindowSize = 4 << 20 };
        return new HttpClient(ClusterTls.Configure(handler, DataDir, withAdminCertificate: true))
        {
            BaseAddress = Url,
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Timeout = TimeSpan.FromMinutes(5),
        };
    }

    /// <summary>Kills the server (and what it started as its children) without removing its data directory.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await KillAsync();
        _process.Dispose();
        _dataDir.Dispose();
    }

    /// <summary>The server's data directory (a temp directory, removed on dispose).</summary>
    public string DataDir => _dataDir.Path;

    /// <summary>The admin kubeconfig the server wrote.</summary>
    public string KubeconfigPath => Path.Combine(DataDir, "kubeconfig.yaml");

    /// <summary>The join token agents present, as the server wrote it to <c>server/token</c>.</summary>
    public string ReadJoinToken() => File.ReadAllText(Path.Combine(DataDir, "server", "token")).Trim();

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (DateTime.UtcNow < deadline && await poll.WaitForNextTickAsync())
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"berth server exited with {_process.ExitCode}; it printed:\n{Output}");
            if (!File.Exists(Path.Combine(DataDir, "kubeconfig.yaml")))
                continue;
            using var client = CreateClient();
            try
            {
                if ((await client.GetAsync(new Uri("/readyz", UriKind.Relative))).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
        }
        throw new TimeoutException("berth server did not become ready within 30 s");
    }
}
