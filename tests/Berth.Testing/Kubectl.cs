using System.Diagnostics;

namespace Berth.Testing;

/// <summary>Runs the real kubectl against the test server, with its own discovery cache.</summary>
public sealed class Kubectl(string kubeconfig, string cacheDir)
{
    private const string Binary = "/usr/bin/kubectl";

    public Task<(int ExitCode, string Out, string Err)> RunAsync(params string[] args) => RunAsync(null, [], args);

    /// <summary>
    /// Runs kubectl with <paramref name="input"/> on its stdin (then closed) and <paramref name="environment"/> added.
    /// A run that kubectl says lost a WebSocket message is run again: kubectl up to 1.33 starts reading its exec
    /// WebSocket before it has made its streams, so the first output of a command that prints at once can be dropped
    /// on the client (kubernetes/kubernetes#131189, fixed in client-go for 1.34). Any other failure counts.
    /// </summary>
    public async Task<(int ExitCode, string Out, string Err)> RunAsync(string? input, (string Name, string Value)[] environment, params string[] args)
    {
        const string ClientRace = "Unknown stream id";
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunOnceAsync(input, environment, args);
            if (attempt == 3 || !result.Err.Contains(ClientRace, StringComparison.Ordinal))
                return result;
        }
    }

    private async Task<(int ExitCode, string Out, string Err)> RunOnceAsync(string? input, (string Name, string Value)[] environment, string[] args)
    {
        var process = Start(args, redirectInput: input is not null, environment);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
                process.StandardInput.Close();
            }
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        var result = (process.ExitCode, await stdout, await stderr);
        process.Dispose();
        return result;
    }

    /// <summary>
    /// Runs kubectl on a pseudo-terminal (util-linux's <c>script</c>) of <paramref name="columns"/> by
    /// <paramref name="rows"/>, for <c>exec -t</c>: its exit code and what the terminal showed.
    /// </summary>
    public async Task<(int ExitCode, string Terminal)> RunOnTerminalAsync(int columns, int rows, params string[] args)
    {
        var command = $"stty cols {columns} rows {rows}; exec {Binary} --cache-dir {Quote(cacheDir)} {string.Join(' ', args.Select(Quote))}";
        var info = new ProcessStartInfo("/usr/bin/script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--quiet", "--return", "--command", command, "/dev/null"])
            info.ArgumentList.Add(arg);
        info.Environment["KUBECONFIG"] = kubeconfig;
        info.Environment["HOME"] = cacheDir;
        using var process = Process.Start(info)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            // Input stays open while the command runs: its end would end the terminal session.
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Runs kubectl for a step a test depends on: a failure throws, naming the command and what kubectl said.</summary>
    public async Task<(int ExitCode, string Out, string Err)> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"kubectl {string.Join(' ', args)} exited with {result.ExitCode}: {result.Err}");
        return result;
    }

    /// <summary>
    /// Starts kubectl without waiting for it (for <c>get -w</c>, or <c>edit</c> with an EDITOR in
    /// <paramref name="environment"/>); the caller waits or kills, and disposes it.
    /// </summary>
    public Process Start(string[] args, bool redirectInput, params (string Name, string Value)[] environment)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: these tests drive the real kubectl.");
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        info.Environment["KUBECONFIG"] = kubeconfig;
        info.Environment["HOME"] = cacheDir;
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        info.ArgumentList.Add("--cache-dir");
        info.ArgumentList.Add(cacheDir);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }
}
