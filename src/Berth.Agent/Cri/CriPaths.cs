namespace Berth.Agent.Cri;

/// <summary>
/// Where the agent keeps what the runtime writes for it: pods' container logs under <see cref="Logs"/>
/// (<c>&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;attempt&gt;.log</c>, as upstream lays them out), and the
/// cgroup every pod's cgroup goes under (<c>&lt;root&gt;/&lt;qos class&gt;/pod&lt;uid&gt;</c>, Guaranteed pods right under the root).
/// </summary>
public sealed record CriPaths(string Logs, string CgroupRoot)
{
    public string PodLogs(string ns, string name, string uid) => Path.Combine(Logs, $"{ns}_{name}_{uid}");

    /// <summary>An instance's log file: what <see cref="ContainerLogPath"/> names inside its pod's log folder.</summary>
    public string ContainerLog(string ns, string name, string uid, string container, uint attempt) =>
        Path.Combine(PodLogs(ns, name, uid), ContainerLogPath(container, attempt));

    /// <summary>The log file of a container instance relative to its pod's log folder (CRI's ContainerConfig.log_path).</summary>
    public static string ContainerLogPath(string container, uint attempt) => $"{container}/{attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}.log";

    public string PodCgroup(string qosClass, string uid) => $"{QosCgroup(qosClass)}/pod{uid}";

    /// <summary>The cgroup of a QoS class's pods: Guaranteed ones right under the root, the others in a cgroup of their class.</summary>
    public string QosCgroup(string qosClass) => qosClass switch
    {
        "Guaranteed" => CgroupRoot,
        "Burstable" => $"{CgroupRoot}/burstable",
        _ => $"{CgroupRoot}/besteffort",
    };
}
