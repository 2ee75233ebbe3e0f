namespace Berth.Agent.Containerd;

/// <summary>
/// Where the agent's own containerd keeps everything, all under <c>&lt;data-dir&gt;/agent</c> so that several agents
/// (and any other containerd) on one machine never share a socket, root, state, runc root or CNI folder.
/// </summary>
public sealed record ContainerdLayout(string AgentDir)
{
    public string Directory => Path.Combine(AgentDir, "containerd");

    public string ConfigFile => Path.Combine(Directory, "config.toml");

    public string Socket => Path.Combine(Directory, "containerd.sock");

    public string Root => Path.Combine(Directory, "root");

    /// <summary>State lives under /run when it can, as containerd's does, but must be unique per agent; a short name keeps socket paths under the kernel's 108 bytes.</summary>
    public string State => Path.Combine(Directory, "state");

    public string RuncRoot => Path.Combine(Directory, "runc");

    public string Opt => Path.Combine(Directory, "opt");

    public string Log => Path.Combine(Directory, "containerd.log");

    /// <summary>Registry host configuration (containerd's <c>hosts.toml</c> layout), generated from <c>registries.yaml</c>.</summary>
    public string CertsDir => Path.Combine(Directory, "certs.d");

    public string CniConfDir => Path.Combine(AgentDir, "cni", "net.d");

    public string CniIpamDir => Path.Combine(AgentDir, "cni", "ipam");

    public string Images => Path.Combine(AgentDir, "images");

    public string Logs => Path.Combine(AgentDir, "logs", "pods");

    /// <summary>Pods' volumes, by uid.</summary>
    public string Pods => Path.Combine(AgentDir, "pods");
}
