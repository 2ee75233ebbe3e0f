namespace Berth.Agent.Nodes;

/// <summary>
/// What a node reports about itself: its name, what it can hold, how it is reached and what it runs, the labels it
/// registers with, and how to tell whether it is short of memory, disk or process IDs now (never, for a hollow node).
/// </summary>
public sealed record NodeDescription(
    string Name,
    NodeCapacity Capacity,
    string InternalIp,
    NodeSystem System,
    IReadOnlyDictionary<string, string> Labels,
    Func<NodePressure>? Pressure = null)
{
    public NodePressure CurrentPressure() => Pressure?.Invoke() ?? NodePressure.None;
}

/// <summary>Which resources the node is short of, each reported as its pressure condition.</summary>
public sealed record NodePressure(bool Memory, bool Disk, bool Pids)
{
    public static NodePressure None { get; } = new(false, false, false);
}

/// <summary>A node's capacity in Kubernetes quantities (all of it allocatable: nothing is reserved yet).</summary>
public sealed record NodeCapacity(string Cpu, string Memory, string EphemeralStorage, int Pods)
{
    /// <summary>What a hollow node offers unless told otherwise, as the issue fixes it.</summary>
    public static NodeCapacity Simulated { get; } = new("32", "256Gi", "1Ti", 110);
}

/// <summary>The node's <c>status.nodeInfo</c>: operating system, kernel, runtime and agent versions.</summary>
public sealed record NodeSystem(string MachineId, string BootId, string KernelVersion, string OsImage, string ContainerRuntimeVersion, string Architecture)
{
    /// <summary>The version the agent reports as its kubelet version, matching the API server's 1.33.</summary>
    public const string AgentVersion = "v1.33.0-berth";
}
