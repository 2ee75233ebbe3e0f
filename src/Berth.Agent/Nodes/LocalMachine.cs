using System.Runtime.InteropServices;

namespace Berth.Agent.Nodes;

/// <summary>This machine as a node describes it: capacity from the processor count, /proc/meminfo and the root file system; identity from /etc and /proc.</summary>
public static class LocalMachine
{
    /// <summary>Upstream's default maximum of pods per node.</summary>
    private const int MaxPods = 110;

    public static NodeDescription Describe(string nodeName, IReadOnlyDictionary<string, string> extraLabels)
    {
        var capacity = new NodeCapacity(
            Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            MemoryKibibytes() + "Ki",
            (new DriveInfo("/").TotalSize / 1024) + "Ki",
            MaxPods);
        return new NodeDescription(nodeName, capacity, "127.0.0.1", Identity(), Labels(nodeName, extraLabels));
    }

    /// <summary>The labels every node registers with, and <paramref name="extra"/> ones (a role, say).</summary>
    public static Dictionary<string, string> Labels(string nodeName, IReadOnlyDictionary<string, string> extra)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["beta.kubernetes.io/arch"] = ArchitectureName,
            ["beta.kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = ArchitectureName,
            ["kubernetes.io/hostname"] = nodeName,
            ["kubernetes.io/os"] = "linux",
        };
        foreach (var (key, value) in extra)
            labels[key] = value;
        return labels;
    }

    public static NodeSystem Identity() => new(
        Read("/etc/machine-id"), Read("/proc/sys/kernel/random/boot_id"), Read("/proc/sys/kernel/osrelease"), OsImage(),
        "simulated://berth", ArchitectureName);

    /// <summary>The architecture as Kubernetes names it (amd64, arm64).</summary>
    public static string ArchitectureName => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static long MemoryKibibytes()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                return long.Parse(line["MemTotal:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    private static string OsImage()
    {
        const string Pretty = "PRETTY_NAME=";
        var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith(Pretty, StringComparison.Ordinal)) : null;
        return line is null ? "Linux" : line[Pretty.Length..].Trim('"');
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";
}
