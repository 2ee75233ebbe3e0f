using System.Diagnostics;
using System.Globalization;

namespace Berth.Testing;

/// <summary>
/// Debian's <c>docker-registry</c> on 127.0.0.1 at a free port, its storage in a temp directory, asking for a user
/// and password (htpasswd, bcrypt) so that pulls need credentials. Stopped and removed on dispose.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly Process _process;

    private RegistryProcess(TempDirectory dir, Process process, int port)
    {
        _dir = dir;
        _process = process;
        Host = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The registry's host and port, as image references and pull secrets name it.</summary>
    public string Host { get; }

    public const string User = "berth";
    public const string Password = "pull-me";

    public static async Task<RegistryProcess> StartAsync()
    {
        var dir = new TempDirectory("registry");
        var port = FreePort.Next();
        var passwords = dir.File("htpasswd");
        var (code, output) = await ProgramRun.RunAsync("htpasswd", "-Bbc", passwords, User, Password);
        if (code != 0)
            throw new InvalidOperationException($"htpasswd failed (install apache2-utils: scripts/install-deps.sh): {output}");
        var config = dir.File("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {dir.File("data")}
            http:
              addr: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            auth:
              htpasswd:
                realm: berth-test
                path: {passwords}
            """);
        var start = new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(start) ?? throw new InvalidOperationException("docker-registry could not be started (scripts/install-deps.sh installs it)");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new RegistryProcess(dir, process, port);
        using var http = new HttpClient();
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"docker-registry exited with {process.ExitCode}");
            try
            {
                // 401: up, and asking for credentials.
                return (int)(await http.GetAsync(new Uri($"http://{registry.Host}/v2/"))).StatusCode == 401;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the registry to answer");
        return registry;
    }

    /// <summary>Pushes an image archive (a docker archive) to <c>&lt;host&gt;/<paramref name="repository"/></c> with the registry's credentials.</summary>
    public async Task PushAsync(string archive, string repository)
    {
        var (code, output) = await ProgramRun.RunAsync("skopeo", "copy", "-q", "--dest-tls-verify=false", "--dest-creds", $"{User}:{Password}",
            $"docker-archive:{archive}", $"docker://{Host}/{repository}");
        if (code != 0)
            throw new InvalidOperationException($"skopeo could not push {archive}: {output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _dir.Dispose();
    }
}
