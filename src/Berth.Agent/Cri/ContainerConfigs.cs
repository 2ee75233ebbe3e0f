using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Agent.Cri.Protocol;
using Berth.Agent.Nodes;
using Berth.Agent.Pods.Volumes;
using Berth.Core.Quantities;

namespace Berth.Agent.Cri;

/// <summary>A container of a pod as CRI's CreateContainer wants it (upstream's generateContainerConfig): command, environment, logs, resources and security.</summary>
internal static class ContainerConfigs
{
    public const string ContainerNameLabel = "io.kubernetes.container.name";

    /// <summary>The container's declared ports, kept with it (as upstream does) so that probes can find a named port after the agent restarts.</summary>
    public const string PortsAnnotation = "io.kubernetes.container.ports";

    /// <summary>Where the container writes its termination message and what stands in for none, kept for when it exits (upstream's annotations).</summary>
    public const string TerminationMessagePathAnnotation = "io.kubernetes.container.terminationMessagePath";
    public const string TerminationMessagePolicyAnnotation = "io.kubernetes.container.terminationMessagePolicy";

    /// <summary>What an unprivileged container may not see of /proc and /sys, and may only read (upstream's defaults).</summary>
    private static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public static Protocol.ContainerConfig For(Runtime.ContainerConfig container, Protocol.PodSandboxConfig sandbox)
    {
        var spec = container.Spec;
        var config = new Protocol.ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = container.Attempt },
            Image = new ImageSpec { Image = container.ImageRef },
            WorkingDir = spec["workingDir"]?.ToString() ?? "",
            LogPath = CriPaths.ContainerLogPath(container.Name, container.Attempt),
            Stdin = spec["stdin"]?.GetValue<bool>() == true,
            StdinOnce = spec["stdinOnce"]?.GetValue<bool>() == true,
            Tty = spec["tty"]?.GetValue<bool>() == true,
            Linux = new LinuxContainerConfig
            {
                Resources = Resources(spec, OomScores.For(container.Pod, spec, LocalMachine.MemoryBytes)),
                SecurityContext = SecurityContext(container.Pod["spec"] as JsonObject ?? [], spec),
            },
        };
        config.Command.Add(Strings(spec["command"]));
        config.Args.Add(Strings(spec["args"]));
        config.Envs.Add(container.Env.Select(e => new KeyValue { Key = e.Key, Value = e.Value }));
        config.Mounts.Add(container.Mounts.Select(m => new Mount
        {
            ContainerPath = m.ContainerPath,
            HostPath = m.HostPath,
            Readonly = m.ReadOnly,
            Propagation = m.Propagation switch
            {
                Runtime.MountPropagationMode.HostToContainer => MountPropagation.PropagationHostToContainer,
                Runtime.MountPropagationMode.Bidirectional => MountPropagation.PropagationBidirectional,
                _ => MountPropagation.PropagationPrivate,
            },
        }));
        config.Labels[ContainerNameLabel] = container.Name;
        foreach (var label in new[] { SandboxConfigs.PodNameLabel, SandboxConfigs.PodNamespaceLabel, SandboxConfigs.PodUidLabel })
            config.Labels[label] = sandbox.Labels[label];
        if (spec["ports"] is JsonArray { Count: > 0 } ports)
            config.Annotations[PortsAnnotation] = ports.ToJsonString();
        config.Annotations[TerminationMessagePathAnnotation] = TerminationLog.PathIn(spec);
        config.Annotations[TerminationMessagePolicyAnnotation] = spec["terminationMessagePolicy"]?.ToString() ?? "File";
        return config;
    }

    /// <summary>A seccomp profile as CRI takes it; none asked for is Unconfined, as upstream's default.</summary>
    public static SecurityProfile Seccomp(JsonObject? profile) => profile?["type"]?.ToString() switch
    {
        "RuntimeDefault" => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
        "Localhost" => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Localhost, LocalhostRef = profile["localhostProfile"]?.ToString() ?? "" },
        _ => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Unconfined },
    };

    /// <summary>The pod's supplemental groups and its fsGroup, which every container joins.</summary>
    public static IEnumerable<long> SupplementalGroups(JsonObject? podSecurity) =>
        (podSecurity?["supplementalGroups"] as JsonArray ?? []).Select(g => g!.GetValue<long>())
            .Concat(podSecurity?["fsGroup"]?.GetValue<long>() is { } fsGroup ? [fsGroup] : []);

    private static LinuxContainerResources Resources(JsonObject spec, long oomScoreAdj)
    {
        var resources = spec["resources"];
        var resourcesOut = new LinuxContainerResources { CpuShares = CpuArithmetic.MinShares, OomScoreAdj = oomScoreAdj };
        if (Quantity(resources?["requests"]?["cpu"]) is { } request)
            resourcesOut.CpuShares = CpuArithmetic.Shares(request.MilliValue);
        if (Quantity(resources?["limits"]?["cpu"]) is { } limit)
        {
            resourcesOut.CpuPeriod = CpuArithmetic.QuotaPeriod;
            resourcesOut.CpuQuota = CpuArithmetic.Quota(limit.MilliValue);
            if (Quantity(resources?["requests"]?["cpu"]) is null)
                resourcesOut.CpuShares = CpuArithmetic.Shares(limit.MilliValue);
        }
        if (Quantity(resources?["limits"]?["memory"]) is { } memory)
            resourcesOut.MemoryLimitInBytes = (long)decimal.Ceiling(memory.Value);
        return resourcesOut;
    }

    private static LinuxContainerSecurityContext SecurityContext(JsonObject podSpec, JsonObject spec)
    {
        var pod = podSpec["securityContext"] as JsonObject;
        var own = spec["securityContext"] as JsonObject;
        var privileged = own?["privileged"]?.GetValue<bool>() == true;
        var context = new LinuxContainerSecurityContext
        {
            Privileged = privileged,
            NamespaceOptions = SandboxConfigs.Namespaces(podSpec),
            ReadonlyRootfs = own?["readOnlyRootFilesystem"]?.GetValue<bool>() == true,
            NoNewPrivs = own?["allowPrivilegeEscalation"]?.GetValue<bool>() == false,
            Seccomp = Seccomp(own?["seccompProfile"] as JsonObject ?? pod?["seccompProfile"] as JsonObject),
            Capabilities = new Capability(),
        };
        context.Capabilities.AddCapabilities.Add(Strings(own?["capabilities"]?["add"]));
        context.Capabilities.DropCapabilities.Add(Strings(own?["capabilities"]?["drop"]));
        if ((own?["runAsUser"] ?? pod?["runAsUser"])?.GetValue<long>() is { } user)
            context.RunAsUser = new Int64Value { Value = user };
        if ((own?["runAsGroup"] ?? pod?["runAsGroup"])?.GetValue<long>() is { } group)
            context.RunAsGroup = new Int64Value { Value = group };
        context.SupplementalGroups.Add(SupplementalGroups(pod));
        if (!privileged && own?["procMount"]?.ToString() != "Unmasked")
        {
            context.MaskedPaths.Add(MaskedPaths);
            context.ReadonlyPaths.Add(ReadonlyPaths);
        }
        return context;
    }

    private static Quantity? Quantity(JsonNode? value) =>
        value is not null && Core.Quantities.Quantity.TryParse(value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString(), out var parsed)
            ? parsed
            : null;

    private static IEnumerable<string> Strings(JsonNode? list) => (list as JsonArray ?? []).Select(s => s?.ToString() ?? "");
}
