using System.Runtime.InteropServices;

namespace Berth.Agent.Nodes;

/// <summary>
/// This machine as a node describes it: capacity from the processor count, /proc/meminfo and the root file system,
/// allocatable less what is reserved; identity from /etc and /proc.
/// </summary>
public static class LocalMachine
{
    /// <summary>Upstream's default maximum of pods per node.</summary>
    private const int MaxPods = 110;

    /// <summary>
    /// This machine as node <paramref name="nodeName"/>. What pods may have of it is its capacity less
    /// <paramref name="reserved"/> and less the hard eviction <paramref name="thresholds"/>, as upstream's allocatable is.
    /// </summary>
    public static NodeDescription Describe(string nodeName, IReadOnlyDictionary<string, string> extraLabels, string runtimeVersion, string dataDir = "/",
        int agentPort = NodeDescription.DefaultAgentPort, NodeReservation? reserved = null, EvictionThresholds? thresholds = null)
    {
        var (cpus, memoryKi, diskKi) = (Environment.ProcessorCount, MemoryKibibytes("MemTotal:"), new DriveInfo("/").TotalSize / 1024);
        var capacity = new NodeCapacity(Invariant(cpus), memoryKi + "Ki", diskKi + "Ki", MaxPods);
        reserved ??= NodeReservation.None;
        thresholds ??= EvictionThresholds.Default;
        static long Kibibytes(EvictionThreshold? threshold, long capacityKi) => threshold is null ? 0 : (long)decimal.Floor(threshold.AmountOf(capacityKi * 1024m) / 1024);
        var allocatable = new NodeCapacity(
            Millicores(Math.Max(0, cpus * 1000 - (long)decimal.Ceiling(reserved.Cpu * 1000))),
            Invariant(Math.Max(0, memoryKi - Kibibytes(thresholds.Memory, memoryKi) - (long)decimal.Ceiling(reserved.Memory / 1024))) + "Ki",
            Invariant(Math.Max(0, diskKi - Kibibytes(thresholds.NodeFs, diskKi) - (long)decimal.Ceiling(reserved.EphemeralStorage / 1024))) + "Ki",
            MaxPods);
        return new NodeDescription(nodeName, capacity, "127.0.0.1", Identity(runtimeVersion), Labels(nodeName, extraLabels),
            () => Pressure(Observe(dataDir), thresholds), agentPort)
        {
            Allocatable = allocatable,
        };
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whole cores as such (<c>2</c>), else millicores (<c>1500m</c>), as quantities are written.</summary>
    private static string Millicores(long millicores) => millicores % 1000 == 0 ? Invariant(millicores / 1000) : Invariant(millicores) + "m";

    /// <summary>How much memory this machine has and has available, the same of the disk where <paramref name="dataDir"/> lives, and of process IDs.</summary>
    public static NodeResourceReading Observe(string dataDir)
    {
        var disk = DriveInfo.GetDrives()
            .Where(d => d.IsReady && (dataDir + "/").StartsWith(d.RootDirectory.FullName.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(d => d.RootDirectory.FullName.Length);
        var pidMax = decimal.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new NodeResourceReading(MemoryKibibytes("MemAvailable:") * 1024m, MemoryBytes,
            disk?.AvailableFreeSpace ?? 0, disk?.TotalSize ?? 0, pidMax - Tasks(), pidMax);
    }

    /// <summary>The processes and threads that hold an ID now: /proc/loadavg's fourth field is running/total.</summary>
    private static decimal Tasks() =>
        File.ReadAllText("/proc/loadavg").Split(' ') is [_, _, _, var entities, ..] && entities.Split('/') is [_, var total]
            ? decimal.Parse(total, System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    /// <summary>Whether a reading is under the memory, disk or process ID threshold.</summary>
    public static NodePressure Pressure(NodeResourceReading reading, EvictionThresholds thresholds) => new(
        thresholds.Memory?.IsMet(reading.MemoryAvailable, reading.MemoryCapacity) == true,
        reading.DiskCapacity > 0 && thresholds.NodeFs?.IsMet(reading.DiskAvailable, reading.DiskCapacity) == true,
        reading.PidCapacity > 0 && thresholds.Pids?.IsMet(reading.PidsAvailable, reading.PidCapacity) == true);

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

    /// <summary>This machine's identity, running containers with <paramref name="runtimeVersion"/> (<c>containerd://1.6.20</c>).</summary>
    public static NodeSystem Identity(string runtimeVersion) => new(
        Read("/etc/machine-id"), Read("/proc/sys/kernel/random/boot_id"), Read("/proc/sys/kernel/osrelease"), OsImage(),
        runtimeVersion, ArchitectureName);

    /// <summary>The architecture as Kubernetes names it (amd64, arm64).</summary>
    public static string ArchitectureName => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>The machine's memory in bytes.</summary>
    public static long MemoryBytes { get; } = MemoryKibibytes("MemTotal:") * 1024;

    /// <summary>A /proc/meminfo figure (<c>MemTotal:</c>, <c>MemAvailable:</c>) in KiB; long.MaxValue if missing.</summary>
    internal static long MemoryKibibytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        return long.MaxValue;
    }

    private static string OsImage()
    {
        const string Pretty = "PRETTY_NAME=";
        var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith(Pretty, StringComparison.Ordinal)) : null;
        return line is null ? "Linux" : line[Pretty.Length..].Trim('"');
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";
}

/// <summary>What the node has of memory and disk (bytes) and of process IDs, and how much of each is available.</summary>
public readonly record struct NodeResourceReading(decimal MemoryAvailable, decimal MemoryCapacity, decimal DiskAvailable, decimal DiskCapacity,
    decimal PidsAvailable = 0, decimal PidCapacity = 0);
