namespace Berth.Agent.Nodes;

/// <summary>
/// What a node reports about itself: its name, what it can hold, how it is reached and what it runs, the labels it
/// registers with, how to tell whether it is short of memory, disk or process IDs now (never, for a hollow node), and
/// the port of its agent's endpoint (logs), upstream's kubelet port by default.
/// </summary>
public sealed record NodeDescription(
    string Name,
    NodeCapacity Capacity,
    string InternalIp,
    NodeSystem System,
    IReadOnlyDictionary<string, string> Labels,
    Func<NodePressure>? Pressure = null,
    int AgentPort = NodeDescription.DefaultAgentPort)
{
    public const int DefaultAgentPort = 10250;

    /// <summary>What of the capacity pods may have; all of it when null (hollow nodes).</summary>
    public NodeCapacity? Allocatable { get; init; }

    public NodePressure CurrentPressure() => Pressure?.Invoke() ?? NodePressure.None;
}

/// <summary>Which resources the node is short of, each reported as its pressure condition.</summary>
public sealed record NodePressure(bool Memory, bool Disk, bool Pids)
{
    public static NodePressure None { get; } = new(false, false, false);
}

/// <summary>A node's capacity (or allocatable part of it) in Kubernetes quantities.</summary>
public sealed record NodeCapacity(string Cpu, string Memory, string EphemeralStorage, int Pods)
{
    /// <summary>What a hollow node offers unless told otherwise, as the issue fixes it.</summary>
    public static NodeCapacity Simulated { get; } = new("32", "256Gi", "1Ti", 110);

    /// <summary>
    /// <paramref name="text"/> over <paramref name="defaults"/>: <c>cpu=64,memory=512Gi,ephemeral-storage=2Ti,pods=250</c>,
    /// any of them; null with the reason when a part is not a resource or not a quantity.
    /// </summary>
    public static NodeCapacity? Parse(string text, NodeCapacity defaults, out string? error)
    {
        error = null;
        var capacity = defaults;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = part.Split('=', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : (part, "");
            var valid = name == "pods"
                ? int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pods) && pods > 0
                : Core.Quantities.Quantity.TryParse(value, out var quantity) && quantity.Value > 0;
            if (!valid || name is not ("cpu" or "memory" or "ephemeral-storage" or "pods"))
            {
                error = $"\"{part}\" is not <cpu|memory|ephemeral-storage|pods>=<positive quantity>";
                return null;
            }
            capacity = name switch
            {
                "cpu" => capacity with { Cpu = value },
                "memory" => capacity with { Memory = value },
                "ephemeral-storage" => capacity with { EphemeralStorage = value },
                _ => capacity with { Pods = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
            };
        }
        return capacity;
    }
}

/// <summary>The node's <c>status.nodeInfo</c>: operating system, kernel, runtime and agent versions.</summary>
public sealed record NodeSystem(string MachineId, string BootId, string KernelVersion, string OsImage, string ContainerRuntimeVersion, string Architecture)
{
    /// <summary>The version the agent reports as its kubelet version, matching the API server's 1.33.</summary>
    public const string AgentVersion = "v1.33.0-berth";
}
