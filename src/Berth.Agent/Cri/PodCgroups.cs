namespace Berth.Agent.Cri;

/// <summary>
/// Pods' cgroups on the host. runc creates a pod's cgroup (under the agent's root) as its first container starts and
/// removes the containers' own, but never the pod's: the agent removes it, in every hierarchy (cgroup v1's controllers
/// and the v2 mount of a hybrid host), once the pod's sandbox is gone.
/// </summary>
internal static class PodCgroups
{
    private const string Mounts = "/sys/fs/cgroup";

    /// <summary>Removes the pod's cgroup wherever it is; a cgroup still holding processes stays (the next removal retries).</summary>
    public static void Remove(CriPaths paths, string uid)
    {
        foreach (var qos in new[] { "Guaranteed", "Burstable", "BestEffort" })
            RemoveTree(paths.PodCgroup(qos, uid));
    }

    /// <summary>Removes a cgroup and those below it, deepest first, in every hierarchy.</summary>
    public static void RemoveTree(string cgroup)
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
