using System.Text.Json.Nodes;
using Berth.Agent.Cri.Protocol;
using Berth.Agent.Pods;

namespace Berth.Agent.Cri;

/// <summary>A pod as CRI's RunPodSandbox wants it: identity, hostname, logs, DNS, host ports, cgroup and namespaces (upstream's generatePodSandboxConfig).</summary>
internal static class SandboxConfigs
{
    public const string PodNameLabel = "io.kubernetes.pod.name";
    public const string PodNamespaceLabel = "io.kubernetes.pod.namespace";
    public const string PodUidLabel = "io.kubernetes.pod.uid";

    public static Protocol.PodSandboxConfig For(JsonObject pod, Runtime.PodSandboxConfig identity, CriPaths paths, PodDns dns)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var config = new Protocol.PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = identity.Name, Namespace = identity.Namespace, Uid = identity.Uid, Attempt = identity.Attempt },
            Hostname = HostNetwork(spec) ? "" : PodHostname.Of(identity.Name, spec),
            LogDirectory = paths.PodLogs(identity.Namespace, identity.Name, identity.Uid),
            DnsConfig = dns.For(pod),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = paths.PodCgroup(pod["status"]?["qosClass"]?.ToString() ?? "BestEffort", identity.Uid),
                SecurityContext = SecurityContext(spec),
            },
        };
        config.Labels.Add(Labels(pod, identity));
        foreach (var (key, value) in pod["metadata"]?["annotations"] as JsonObject ?? [])
            config.Annotations[key] = value?.ToString() ?? "";
        foreach (var sysctl in (spec["securityContext"]?["sysctls"] as JsonArray ?? []).OfType<JsonObject>())
            config.Linux.Sysctls[sysctl["name"]?.ToString() ?? ""] = sysctl["value"]?.ToString() ?? "";
        config.PortMappings.Add(PortMappings(spec));
        return config;
    }

    /// <summary>The namespaces a pod's containers share with it or with the node.</summary>
    public static NamespaceOption Namespaces(JsonObject spec) => new()
    {
        Network = HostNetwork(spec) ? NamespaceMode.Node : NamespaceMode.Pod,
        Pid = spec["hostPID"]?.GetValue<bool>() == true ? NamespaceMode.Node
            : spec["shareProcessNamespace"]?.GetValue<bool>() == true ? NamespaceMode.Pod : NamespaceMode.Container,
        Ipc = spec["hostIPC"]?.GetValue<bool>() == true ? NamespaceMode.Node : NamespaceMode.Pod,
    };

    private static Dictionary<string, string> Labels(JsonObject pod, Runtime.PodSandboxConfig identity)
    {
        var labels = (pod["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        labels[PodNameLabel] = identity.Name;
        labels[PodNamespaceLabel] = identity.Namespace;
        labels[PodUidLabel] = identity.Uid;
        return labels;
    }

    private static bool HostNetwork(JsonObject spec) => spec["hostNetwork"]?.GetValue<bool>() == true;

    private static LinuxSandboxSecurityContext SecurityContext(JsonObject spec)
    {
        var pod = spec["securityContext"] as JsonObject;
        var context = new LinuxSandboxSecurityContext
        {
            NamespaceOptions = Namespaces(spec),
            // A sandbox must be privileged for any of its containers to be.
            Privileged = ContainerSpecs(spec).Any(c => c["securityContext"]?["privileged"]?.GetValue<bool>() == true),
            Seccomp = ContainerConfigs.Seccomp(pod?["seccompProfile"] as JsonObject),
        };
        if (pod?["runAsUser"]?.GetValue<long>() is { } user)
            context.RunAsUser = new Int64Value { Value = user };
        if (pod?["runAsGroup"]?.GetValue<long>() is { } group)
            context.RunAsGroup = new Int64Value { Value = group };
        context.SupplementalGroups.Add(ContainerConfigs.SupplementalGroups(pod));
        return context;
    }

    private static IEnumerable<JsonObject> ContainerSpecs(JsonObject spec) =>
        (spec["initContainers"] as JsonArray ?? []).Concat(spec["containers"] as JsonArray ?? []).OfType<JsonObject>();

    private static IEnumerable<PortMapping> PortMappings(JsonObject spec)
    {
        foreach (var port in ContainerSpecs(spec).SelectMany(c => (c["ports"] as JsonArray ?? []).OfType<JsonObject>()))
        {
            if (port["hostPort"]?.GetValue<int>() is not (> 0 and var hostPort))
                continue;
            yield return new PortMapping
            {
                ContainerPort = port["containerPort"]?.GetValue<int>() ?? 0,
                HostPort = hostPort,
                HostIp = port["hostIP"]?.ToString() ?? "",
                Protocol = port["protocol"]?.ToString() switch
                {
                    "UDP" => Protocol.Protocol.Udp,
                    "SCTP" => Protocol.Protocol.Sctp,
                    _ => Protocol.Protocol.Tcp,
                },
            };
        }
    }
}
