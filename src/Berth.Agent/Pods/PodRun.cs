using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>A pod as the agent runs it: who it is, its containers' specs, and their instances in the runtime.</summary>
internal sealed class PodRun
{
    private readonly Dictionary<string, List<ContainerStatus>> _instances;
    private readonly string _runtimeScheme;

    public PodRun(JsonObject pod, PodSandbox sandbox, IReadOnlyList<ContainerStatus> containers, string runtimeScheme)
    {
        _runtimeScheme = runtimeScheme;
        var metadata = pod["metadata"]!;
        Name = metadata["name"]!.GetValue<string>();
        Namespace = metadata["namespace"]!.GetValue<string>();
        Uid = metadata["uid"]!.GetValue<string>();
        Spec = pod["spec"] as JsonObject ?? [];
        Specs = ContainerSpec.Of(Spec);
        RestartPolicy = Spec["restartPolicy"]?.ToString() ?? "Always";
        Sandbox = sandbox;
        // Newest attempt last.
        _instances = containers.GroupBy(c => c.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Attempt).ThenBy(c => c.CreatedAt).ToList(), StringComparer.Ordinal);
    }

    public string Name { get; }

    public string Namespace { get; }

    public string Uid { get; }

    public string Key => $"{Namespace}/{Name}";

    public JsonObject Spec { get; }

    public IReadOnlyList<ContainerSpec> Specs { get; }

    public string RestartPolicy { get; }

    public PodSandbox Sandbox { get; }

    /// <summary>The newest instance of a container, if it was ever created.</summary>
    public ContainerStatus? Latest(string name) => _instances.TryGetValue(name, out var all) ? all[^1] : null;

    /// <summary>The instance before the newest one, which the status reports as the container's last state.</summary>
    public ContainerStatus? Previous(string name) => _instances.TryGetValue(name, out var all) && all.Count > 1 ? all[^2] : null;

    /// <summary>Instances older than the previous one, which nobody reports any more.</summary>
    public IEnumerable<ContainerStatus> Superseded => _instances.Values.SelectMany(all => all.Take(Math.Max(0, all.Count - 2)));

    /// <summary>A container's ID as statuses show it: the runtime's scheme and its ID (<c>containerd://…</c>).</summary>
    public string ContainerId(ContainerStatus container) => $"{_runtimeScheme}://{container.Id}";

    public string BackOffKey(string container) => $"{Uid}/{container}";
}
