using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Agent.Cri;

/// <summary>
/// Pods' cgroups on the host. The agent makes a pod's cgroup (under its root and QoS class) before the pod's sandbox,
/// bounding all its containers together as upstream's pod cgroups do: CPU shares from the pod's CPU requests, and the
/// CFS quota and memory limit of the pod's limits when every container has one; the Burstable and BestEffort
/// classes' cgroups get their shares as upstream's QoS cgroups do. runc creates the containers' own
/// below it and removes them, but never the pod's: the agent removes it, in every hierarchy (cgroup v1's controllers
/// and the v2 mount of a hybrid host), once the pod's sandbox is gone. On a host with cgroup v2 only, the pod's cgroup
/// is left to runc, without limits of its own.
/// </summary>
internal static class PodCgroups
{
    private const string Mounts = "/sys/fs/cgroup";

    private static readonly string[] QosClasses = ["Guaranteed", "Burstable", "BestEffort"];
    private static readonly Lock QosSharesLock = new();

    /// <summary>Makes the pod's cgroup with its limits (cgroup v1).</summary>
    public static void Create(CriPaths paths, JsonObject pod, string uid)
    {
        var cpu = Path.Combine(Mounts, "cpu");
        var memory = Path.Combine(Mounts, "memory");
        if (!Directory.Exists(cpu) || !Directory.Exists(memory))
            return;
        var spec = pod["spec"] as JsonObject ?? [];
        var qos = pod["status"]?["qosClass"]?.ToString() ?? "BestEffort";
        var cgroup = paths.PodCgroup(qos, uid);
        var requests = PodRequests.Of(spec);
        var limits = PodRequests.LimitsOf(spec);

        var cpuDir = Directory.CreateDirectory(cpu + cgroup).FullName;
        var shares = qos == "BestEffort" ? CpuArithmetic.MinShares : CpuArithmetic.Shares(CpuArithmetic.Millicores(requests.GetValueOrDefault("cpu")));
        Write(cpuDir, "cpu.shares", shares);
        if (limits.TryGetValue("cpu", out var cpuLimit))
        {
            Write(cpuDir, "cpu.cfs_period_us", CpuArithmetic.QuotaPeriod);
            Write(cpuDir, "cpu.cfs_quota_us", CpuArithmetic.Quota(CpuArithmetic.Millicores(cpuLimit)));
        }
        var memoryDir = Directory.CreateDirectory(memory + cgroup).FullName;
        if (limits.TryGetValue("memory", out var memoryLimit))
            Write(memoryDir, "memory.limit_in_bytes", (long)decimal.Ceiling(memoryLimit));
        UpdateQosShares(paths);
    }

    /// <summary>
    /// Upstream's QoS cgroups: BestEffort pods share 2 CPU shares between them and Burstable ones as many as their
    /// requests add up to, so that under contention neither class takes the CPU time Guaranteed pods requested. The
    /// Burstable sum is of its pods' cgroups, so that nodes sharing the root agree on it.
    /// </summary>
    private static void UpdateQosShares(CriPaths paths)
    {
        var cpu = Path.Combine(Mounts, "cpu");
        lock (QosSharesLock)
        {
            if (Directory.Exists(cpu + paths.QosCgroup("BestEffort")))
                Write(cpu + paths.QosCgroup("BestEffort"), "cpu.shares", CpuArithmetic.MinShares);
            var burstable = cpu + paths.QosCgroup("Burstable");
            if (!Directory.Exists(burstable))
                return;
            var shares = Directory.GetDirectories(burstable, "pod*").Sum(pod => ReadOrZero(Path.Combine(pod, "cpu.shares")));
            Write(burstable, "cpu.shares", Math.Max(CpuArithmetic.MinShares, shares));
        }
    }

    private static long ReadOrZero(string file)
    {
        try
        {
            return long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // The pod's cgroup went meanwhile.
            return 0;
        }
    }

    /// <summary>
    /// How many processes the kernel killed for the pod's own memory limit (cgroup v1's <c>oom_kill</c> count of the
    /// pod's cgroup; 0 without one). A container can reach the pod's limit before its own, since the pod's counts
    /// the sandbox too, and containerd then sees no OOM of the container's.
    /// </summary>
    public static long OomKills(CriPaths paths, string uid) => OomKillCount(paths, uid, "");

    /// <summary>
    /// Whether the kernel killed a process for the container's own memory limit (the <c>oom_kill</c> count of its
    /// cgroup under the pod's): containerd's OOM event can come after the exit it caused.
    /// </summary>
    public static bool ContainerOomKilled(CriPaths paths, string uid, string containerId) =>
        OomKillCount(paths, uid, "/" + containerId) > 0;

    /// <summary>The <c>oom_kill</c> count of the cgroup at <paramref name="below"/> the pod's, in whichever QoS class it is; 0 without one.</summary>
    private static long OomKillCount(CriPaths paths, string uid, string below)
    {
        foreach (var qos in QosClasses)
        {
            var file = Path.Combine(Mounts, "memory") + paths.PodCgroup(qos, uid) + below + "/memory.oom_control";
            try
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (line.StartsWith("oom_kill ", StringComparison.Ordinal))
                        return long.Parse(line["oom_kill ".Length..], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not this class's, or gone.
            }
        }
        return 0;
    }

    private static void Write(string dir, string file, long value) =>
        File.WriteAllText(Path.Combine(dir, file), value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Removes the pod's cgroup wherever it is; a cgroup still holding processes stays (the next removal retries).</summary>
    public static void Remove(CriPaths paths, string uid)
    {
        foreach (var qos in QosClasses)
            RemoveTree(paths.PodCgroup(qos, uid));
        if (Directory.Exists(Path.Combine(Mounts, "cpu")))
            UpdateQosShares(paths);
    }

    /// <summary>
    /// Removes the QoS classes' cgroups and the root, each only if empty, in every hierarchy. Pods' cgroups below
    /// them are not touched: another node's agent on this machine shares the root, and one of its pods' cgroups is
    /// empty for a moment between its making and its sandbox's start.
    /// </summary>
    public static void RemoveQosTree(CriPaths paths)
    {
        foreach (var hierarchy in Hierarchies())
        {
            foreach (var cgroup in new[] { paths.QosCgroup("Burstable"), paths.QosCgroup("BestEffort"), paths.CgroupRoot })
            {
                try
                {
                    Directory.Delete(hierarchy + cgroup);
                }
                catch (IOException)
                {
                    // Gone already, or still holding pods' cgroups.
                }
            }
        }
    }

    /// <summary>Removes a cgroup and those below it, deepest first, in every hierarchy.</summary>
    private static void RemoveTree(string cgroup)
    {
        foreach (var hierarchy in Hierarchies())
        {
            var path = hierarchy + cgroup;
            if (!Directory.Exists(path))
                continue;
            foreach (var dir in Directory.GetDirectories(path, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(path))
            {
                try
                {
                    // cgroup directories are removed with rmdir even though they list files.
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    // Busy: a process is still in it.
                }
            }
        }
    }

    private static IEnumerable<string> Hierarchies()
    {
        if (File.Exists(Path.Combine(Mounts, "cgroup.controllers")))
            return [Mounts];
        return Directory.Exists(Mounts) ? Directory.GetDirectories(Mounts).Where(d => !File.GetAttributes(d).HasFlag(FileAttributes.ReparsePoint)) : [];
    }
}
