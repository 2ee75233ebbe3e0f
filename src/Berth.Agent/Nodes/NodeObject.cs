using System.Text.Json.Nodes;

namespace Berth.Agent.Nodes;

/// <summary>The Node object an agent registers and the status it reports, with upstream's condition reasons and messages.</summary>
internal static class NodeObject
{
    /// <summary>
    /// The four conditions with upstream's reasons and messages: pressure of each kind or not, and Ready, which waits
    /// for the pod network (the node's pod CIDR) as upstream's kubelet waits for its network plugin.
    /// </summary>
    private static IEnumerable<(string Type, string Status, string Reason, string Message)> Conditions(NodePressure pressure, bool networkReady) =>
    [
        pressure.Memory
            ? ("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
            : ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        pressure.Disk
            ? ("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
            : ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        pressure.Pids
            ? ("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
            : ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        networkReady
            ? ("Ready", "True", "KubeletReady", "kubelet is posting ready status")
            : ("Ready", "False", "KubeletNotReady",
                "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the node has no pod CIDR yet"),
    ];

    public static JsonObject Create(NodeDescription node, bool networkReady, string now) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject
        {
            ["name"] = node.Name,
            ["labels"] = new JsonObject([.. node.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]),
        },
        ["spec"] = new JsonObject(),
        ["status"] = Status(node, NodePressure.None, networkReady, previous: null, now),
    };

    /// <summary>
    /// The status to report: capacity, addresses, system info and the conditions for <paramref name="pressure"/> and
    /// the pod network, each keeping its transition time from <paramref name="previous"/> while its status stays the
    /// same, with a fresh heartbeat.
    /// </summary>
    public static JsonObject Status(NodeDescription node, NodePressure pressure, bool networkReady, JsonObject? previous, string now)
    {
        static JsonObject Quantities(NodeCapacity amounts) => new()
        {
            ["cpu"] = amounts.Cpu,
            ["ephemeral-storage"] = amounts.EphemeralStorage,
            ["memory"] = amounts.Memory,
            ["pods"] = amounts.Pods.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return new JsonObject
        {
            ["capacity"] = Quantities(node.Capacity),
            ["allocatable"] = Quantities(node.Allocatable ?? node.Capacity),
            ["conditions"] = new JsonArray([.. Conditions(pressure, networkReady).Select(c => (JsonNode)Condition(c, previous, now))]),
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = node.InternalIp },
                new JsonObject { ["type"] = "Hostname", ["address"] = node.Name }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = node.AgentPort } },
            ["nodeInfo"] = new JsonObject
            {
                ["machineID"] = node.System.MachineId,
                ["systemUUID"] = node.System.MachineId,
                ["bootID"] = node.System.BootId,
                ["kernelVersion"] = node.System.KernelVersion,
                ["osImage"] = node.System.OsImage,
                ["containerRuntimeVersion"] = node.System.ContainerRuntimeVersion,
                ["kubeletVersion"] = NodeSystem.AgentVersion,
                ["kubeProxyVersion"] = NodeSystem.AgentVersion,
                ["operatingSystem"] = "linux",
                ["architecture"] = node.System.Architecture,
            },
        };
    }

    private static JsonObject Condition((string Type, string Status, string Reason, string Message) condition, JsonObject? previous, string now)
    {
        var before = (previous?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(c => c["type"]?.GetValue<string>() == condition.Type);
        var since = before?["status"]?.GetValue<string>() == condition.Status ? before["lastTransitionTime"]?.GetValue<string>() ?? now : now;
        return new JsonObject
        {
            ["type"] = condition.Type,
            ["status"] = condition.Status,
            ["lastHeartbeatTime"] = now,
            ["lastTransitionTime"] = since,
            ["reason"] = condition.Reason,
            ["message"] = condition.Message,
        };
    }
}
