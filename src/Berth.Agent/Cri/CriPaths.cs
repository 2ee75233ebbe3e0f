namespace Berth.Agent.Cri;

/// <summary>
/// Where the agent keeps what the runtime writes for it: pods' container logs under <see cref="Logs"/>
/// (<c>&lt;namespace&gt;_&lt;name&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;attempt&gt;.log</c>, as upstream lays them out), and the
/// cgroup every pod's cgroup goes under (<c>&lt;root&gt;/&lt;qos class&gt;/pod&lt;uid&gt;</c>, Guaranteed pods right under the root).
/// </summary>
public sealed record CriPaths(string Logs, string CgroupRoot)
{
    public string PodLogs(string ns, string name, string uid) => Path.Combine(Logs, $"{ns}_{name}_{uid}");

    public string PodCgroup(string qosClass, string uid) => qosClass switch
    {
        "Guaranteed" => $"{CgroupRoot}/pod{uid}",
        "Burstable" => $"{CgroupRoot}/burstable/pod{uid}",
        _ => $"{CgroupRoot}/besteffort/pod{uid}",
    };
}
