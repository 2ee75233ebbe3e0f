namespace Berth.Agent.Containerd;

/// <summary>
/// Processes of a node's containerd found by their command lines: the daemon names its configuration file, and each
/// shim its daemon's socket. An agent killed without warning leaves both behind.
/// </summary>
internal static class LeftoverProcesses
{
    /// <summary>The node's containerd daemons (more than one only after a mishap).</summary>
    public static IReadOnlyList<int> Daemons(ContainerdLayout layout) => Find(commandLine => commandLine.Contains(layout.ConfigFile, StringComparison.Ordinal));

    /// <summary>The daemons and every shim that serves them.</summary>
    public static IReadOnlyList<int> All(ContainerdLayout layout) =>
        Find(commandLine => commandLine.Contains(layout.ConfigFile, StringComparison.Ordinal) || commandLine.Contains(layout.Socket, StringComparison.Ordinal));

    private static List<int> Find(Func<string, bool> matches)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Length > 0 && matches(commandLine))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Ended while being looked at.
            }
        }
        return found;
    }
}
