using System.Text.Json.Nodes;

namespace Berth.Agent.Runtime;

/// <summary>
/// What the agent asks of a container runtime, shaped as CRI's RuntimeService (runtime.v1): pod sandboxes and the
/// containers in them. Implemented by the simulated runtime (hollow nodes) and by CRI over gRPC (containerd).
/// </summary>
public interface IContainerRuntime
{
    /// <summary>The runtime's name and version as a node reports it (<c>containerd://1.7.24</c>).</summary>
    string Version { get; }

    /// <summary>
    /// How many pods the agent works on at once: calls that wait on processes and the network (a sandbox takes
    /// 100–300 ms) want many, as upstream's kubelet has a worker per pod; calls answered at once want few.
    /// </summary>
    int PodWorkers { get; }

    /// <summary>Starts a sandbox for <paramref name="pod"/> (its spec says hostname, namespaces, host ports, security).</summary>
    Task<string> RunPodSandboxAsync(PodSandboxConfig config, JsonObject pod, CancellationToken cancellationToken);

    Task StopPodSandboxAsync(string sandboxId, CancellationToken cancellationToken);

    Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken);

    Task<IReadOnlyList<PodSandbox>> ListPodSandboxesAsync(CancellationToken cancellationToken);

    /// <summary>The ID of the image <paramref name="image"/> names if the node has it, else null (CRI's ImageStatus).</summary>
    Task<string?> ImageStatusAsync(string image, CancellationToken cancellationToken);

    /// <summary>
    /// Pulls an image for <paramref name="pod"/> with <paramref name="auth"/> (registry credentials, if any) and returns
    /// its ID; throws <see cref="ImageUnavailableException"/> when it cannot be had.
    /// </summary>
    Task<string> PullImageAsync(string image, RegistryAuth? auth, JsonObject pod, CancellationToken cancellationToken);

    Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken);

    Task StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Stops a container: SIGTERM, then SIGKILL once <paramref name="timeout"/> has passed.</summary>
    Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken);

    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The containers of a sandbox, or of every sandbox when <paramref name="sandboxId"/> is null.</summary>
    Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken);

    /// <summary>
    /// CRI's GetContainerEvents: every change of a container's state as it happens, for a runtime that can tell (null
    /// for one that cannot). The agent then relists only as a fallback, as upstream's evented PLEG does.
    /// </summary>
    IAsyncEnumerable<ContainerEvent>? ContainerEvents(CancellationToken cancellationToken);
}

/// <summary>A container changed state (CRI's ContainerEventResponse, the fields the agent uses).</summary>
public sealed record ContainerEvent(string ContainerId, string SandboxId, ContainerState State);

/// <summary>Which pod a sandbox is for (CRI's PodSandboxMetadata), as the runtime keeps it.</summary>
public sealed record PodSandboxConfig(string Name, string Namespace, string Uid, uint Attempt);

/// <summary>A sandbox: its pod, its IP and whether it is ready (CRI's PodSandbox and status).</summary>
public sealed record PodSandbox(string Id, PodSandboxConfig Pod, string Ip, bool Ready, DateTimeOffset CreatedAt);

/// <summary>
/// A container to create: its name and attempt, its image as the spec names it and the ID it was found under, its pod
/// and its own part of the pod's spec (command and args expanded), its environment as the agent resolved it (values
/// from ConfigMaps, Secrets and the pod's fields filled in), and its volumes' mounts.
/// </summary>
public sealed record ContainerConfig(string Name, uint Attempt, string Image, string ImageRef, JsonObject Pod, JsonObject Spec,
    IReadOnlyList<KeyValuePair<string, string>> Env, IReadOnlyList<ContainerMount> Mounts);

/// <summary>Credentials for a registry, from an image pull secret (CRI's AuthConfig).</summary>
public sealed record RegistryAuth(string Username, string Password, string Auth, string ServerAddress);

/// <summary>CRI's container states.</summary>
public enum ContainerState
{
    Created,
    Running,
    Exited,
}

/// <summary>A container as the runtime reports it (CRI's ContainerStatus); an exited one with its termination message.</summary>
public sealed record ContainerStatus(
    string Id, string SandboxId, string Name, uint Attempt, string Image, string ImageRef, ContainerState State,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int ExitCode, string Reason, string Message = "");
