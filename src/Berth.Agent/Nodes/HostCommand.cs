using System.Diagnostics;

namespace Berth.Agent.Nodes;

/// <summary>
/// Runs one of the host's programs to its end (<c>ip</c>, <c>iptables</c>, <c>mount</c>, <c>ctr</c>, …) and returns its
/// exit code and what it wrote. Both pipes are read as it runs, so neither can fill and stall it.
/// </summary>
internal static class HostCommand
{
    public static Task<HostCommandResult> RunAsync(string program, params string[] arguments) => RunAsync(program, arguments, CancellationToken.None);

    public static async Task<HostCommandResult> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Start(program, arguments);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new HostCommandResult(process.ExitCode, await output, await error);
    }

    private static Process Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"{program} could not be started");
    }
}

/// <summary>How a host program ended: its exit code, and what it wrote to standard output and standard error.</summary>
internal readonly record struct HostCommandResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}
