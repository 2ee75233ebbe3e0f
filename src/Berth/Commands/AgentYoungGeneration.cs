using System.Collections;
using System.Runtime.InteropServices;

namespace Berth.Commands;

/// <summary>
/// <c>berth agent</c> runs with a young generation of a few megabytes. The garbage collector sizes it from the CPU's
/// last-level cache, and these machines report 260 MB: a 130 MB budget, all of it resident before the first
/// collection. A node agent allocates in short-lived bursts (each pod's start), so it would sit at twice its working
/// set. The budget is read once, from the environment, when the runtime starts: the agent therefore replaces itself
/// (execve: same process, same pid) with the setting added. It also takes the workstation collector: the binary is
/// built with the server collector, whose larger heaps the server's throughput needs (docs/benchmarks.md, bench-pods,
/// bench-scheduler and bench-density) but which took a joined agent with 50 pods from 58 MB to 78 MB.
/// </summary>
internal static class AgentYoungGeneration
{
    // Hexadecimal, as the runtime reads them: a 2 MiB starting budget, never above 4 MiB, in regions of 1 MiB (the
    // default 4 MiB regions hold more memory than the budget between collections); the workstation collector.
    private static readonly (string Name, string Value)[] Settings =
        [("DOTNET_GCgen0size", "200000"), ("DOTNET_GCgen0MaxBudget", "400000"), ("DOTNET_GCRegionSize", "100000"), ("DOTNET_gcServer", "0")];

    /// <summary>
    /// Returns only when there is nothing to do (not the agent, or the environment already says how large the young
    /// generation is: the agent after its replacement, or a user's choice), or when the replacement failed: the agent
    /// then runs as it is.
    /// </summary>
    public static void Apply(string[] args)
    {
        if (args is not ["agent", ..] || Environment.ProcessPath is not { } self ||
            Settings.Any(s => Environment.GetEnvironmentVariable(s.Name) is not null))
        {
            return;
        }
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}")
            .Concat(Settings.Select(s => $"{s.Name}={s.Value}"));
        _ = Execve(self, [self, .. args, null], [.. environment, null]);
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(string path, string?[] argv, string?[] envp);
}
