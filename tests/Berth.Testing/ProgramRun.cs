using System.Diagnostics;

namespace Berth.Testing;

/// <summary>Runs a program to its end for a test or bench: its exit code and everything it wrote (stdout, then stderr).</summary>
public static class ProgramRun
{
    public static Task<(int Code, string Output)> RunAsync(string program, params string[] arguments) => RunAsync(program, null, arguments);

    /// <summary>Runs it with <paramref name="environment"/> added to this process's.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string program, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
