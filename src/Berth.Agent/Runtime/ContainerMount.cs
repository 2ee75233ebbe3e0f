namespace Berth.Agent.Runtime;

/// <summary>A host path mounted into a container (CRI's Mount): where, from where, read-only or not, and its propagation.</summary>
public sealed record ContainerMount(string ContainerPath, string HostPath, bool ReadOnly, MountPropagationMode Propagation = MountPropagationMode.Private);

/// <summary>How mounts made later on either side show on the other (a volumeMount's <c>mountPropagation</c>).</summary>
public enum MountPropagationMode
{
    Private,
    HostToContainer,
    Bidirectional,
}
