using System.Diagnostics;

namespace Berth.Testing;

/// <summary>Runs the real kubectl against the test server, with its own discovery cache.</summary>
public sealed class Kubectl(string kubeconfig, string cacheDir)
{
    private const string Binary = "/usr/bin/kubectl";

    public async Task<(int ExitCode, string Out, string Err)> RunAsync(params string[] args)
    {
        var process = Start(args, redirectInput: false);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
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
