using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.DefaultBinder;
using Berth.Scheduler.Plugins.DefaultPreemption;
using Berth.Scheduler.Plugins.ImageLocality;
using Berth.Scheduler.Plugins.InterPodAffinity;
using Berth.Scheduler.Plugins.NodeAffinity;
using Berth.Scheduler.Plugins.NodeName;
using Berth.Scheduler.Plugins.NodePorts;
using Berth.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Berth.Scheduler.Plugins.NodeResourcesFit;
using Berth.Scheduler.Plugins.NodeUnschedulable;
using Berth.Scheduler.Plugins.PodTopologySpread;
using Berth.Scheduler.Plugins.SchedulingGates;
using Berth.Scheduler.Plugins.TaintToleration;
using Berth.Scheduler.Plugins.VolumeBinding;
using Berth.Scheduler.Plugins.VolumeRestrictions;
using Berth.Scheduler.Plugins.VolumeZone;

namespace Berth.Scheduler.Configuration;

/// <summary>What plugins may need from the scheduler: the API (none when a configuration is only validated), and the state it watches for them.</summary>
public sealed record PluginContext(ApiClient? Client, DisruptionBudgets Budgets, OwnerSelectors Owners, VolumeClaims? Claims = null);

/// <summary>
/// Every plugin Berth has, by upstream name, with how to build it from its <c>pluginConfig</c> args; and upstream's
/// default profile (the <c>multiPoint</c> plugins in order, with their score weights).
/// </summary>
public static class PluginRegistry
{
    /// <summary>Upstream's default plugins, in upstream's order, with the weights their scores carry.</summary>
    public static IReadOnlyList<(string Name, int Weight)> Defaults { get; } =
    [
        ("SchedulingGates", 0), ("PrioritySort", 0), ("NodeUnschedulable", 0), ("NodeName", 0), ("TaintToleration", 3),
        ("NodeAffinity", 2), ("NodePorts", 0), ("NodeResourcesFit", 1), ("VolumeRestrictions", 0), ("VolumeBinding", 0), ("VolumeZone", 0),
        ("PodTopologySpread", 2), ("InterPodAffinity", 2), ("DefaultPreemption", 0),
        ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1), ("DefaultBinder", 0),
    ];

    /// <summary>
    /// Upstream plugins Berth does not have: the volume limits of CSI drivers and cloud disks, which it has neither
    /// of. A configuration may disable them, not enable them.
    /// </summary>
    public static IReadOnlySet<string> NotYetAvailable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "NodeVolumeLimits", "EBSLimits", "GCEPDLimits", "AzureDiskLimits",
    };

    private static readonly Dictionary<string, Func<JsonObject?, PluginContext, IPlugin>> Factories = new(StringComparer.Ordinal)
    {
        ["SchedulingGates"] = (_, _) => new SchedulingGates(),
        ["PrioritySort"] = (_, _) => new PrioritySort(),
        ["NodeUnschedulable"] = (_, _) => new NodeUnschedulable(),
        ["NodeName"] = (_, _) => new NodeName(),
        ["TaintToleration"] = (_, _) => new TaintToleration(),
        ["NodeAffinity"] = (args, _) => PluginArgs.AddedAffinity(args) is { } added ? new NodeAffinity(added.Required, added.Preferred) : new NodeAffinity(),
        ["NodePorts"] = (_, _) => new NodePorts(),
        ["NodeResourcesFit"] = (args, _) =>
        {
            var (resources, groups) = PluginArgs.IgnoredResources(args);
            return new NodeResourcesFit(PluginArgs.ScoringStrategy(args), resources, groups);
        },
        ["NodeResourcesBalancedAllocation"] = (args, _) => new NodeResourcesBalancedAllocation(PluginArgs.Resources(args?["resources"]) ?? ResourceAllocation.CpuAndMemory),
        ["ImageLocality"] = (_, _) => new ImageLocality(),
        ["VolumeRestrictions"] = (_, context) => new VolumeRestrictions(context.Claims ?? new VolumeClaims()),
        ["VolumeBinding"] = (_, context) => new VolumeBinding(context.Claims ?? new VolumeClaims()),
        ["VolumeZone"] = (_, context) => new VolumeZone(context.Claims ?? new VolumeClaims()),
        ["PodTopologySpread"] = (args, context) =>
        {
            var (constraints, systemDefaulted) = PluginArgs.SpreadDefaults(args);
            return new PodTopologySpread(context.Owners, constraints, systemDefaulted);
        },
        ["InterPodAffinity"] = (args, _) => new InterPodAffinity(PluginArgs.HardPodAffinityWeight(args), PluginArgs.Bool(args, "ignorePreferredTermsOfExistingPods") ?? false),
        ["DefaultPreemption"] = (args, context) => new DefaultPreemption(context.Budgets,
            PluginArgs.Int(args, "minCandidateNodesPercentage") ?? 10, PluginArgs.Int(args, "minCandidateNodesAbsolute") ?? 100),
        ["DefaultBinder"] = (_, context) => new DefaultBinder(context.Client),
    };

    public static bool Knows(string name) => Factories.ContainsKey(name);

    public static IPlugin Create(string name, JsonObject? args, PluginContext context) => Factories[name](args, context);
}

/// <summary>Upstream's queue-sort plugin: higher priority first, then older. Berth's queue always orders pods so.</summary>
public sealed class PrioritySort : IPlugin
{
    public string Name => nameof(PrioritySort);
}
