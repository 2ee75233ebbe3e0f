using Berth.Agent.Network;

namespace Berth.Agent.Cri;

/// <summary>
/// How a node runs real containers: its agent folder, the CRI socket of a runtime already running (null: the agent
/// runs its own containerd), the sandbox image, where the CNI plugins are, the pod network, the cgroup its pods go
/// under, how much of their logs is kept, and when unused images are removed.
/// </summary>
public sealed record ContainerdNodeOptions(string AgentDir, string? Endpoint, PodNetworkSettings Network)
{
    /// <summary>The pause image; under localhost/ so that a pull of it can only ever reach this machine.</summary>
    public const string DefaultSandboxImage = "localhost/berth/pause:1.0";

    /// <summary>The cgroup every node's pods go under (each pod's own is named by its uid, so nodes on one machine can share it).</summary>
    public const string DefaultCgroupRoot = "/berth";

    public string SandboxImage { get; init; } = DefaultSandboxImage;

    public string CniBinDir { get; init; } = "/usr/lib/cni";

    public string CgroupRoot { get; init; } = DefaultCgroupRoot;

    public ContainerLogLimits LogLimits { get; init; } = ContainerLogLimits.Default;

    public ImageGcPolicy ImageGc { get; init; } = ImageGcPolicy.Default;
}
