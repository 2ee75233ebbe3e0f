using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Scheduler.Plugins.NodeAffinity;
using Berth.Scheduler.Plugins.NodeResourcesFit;
using Berth.Scheduler.Plugins.PodTopologySpread;

namespace Berth.Scheduler.Configuration;

/// <summary>Reads plugins' <c>pluginConfig</c> args (upstream's <c>*Args</c> kinds) into what the plugins take.</summary>
internal static class PluginArgs
{
    /// <summary>The fields of each plugin's <c>*Args</c> kind, as upstream decodes them (VolumeBinding's are read and not needed).</summary>
    private static readonly Dictionary<string, string[]> Fields = new(StringComparer.Ordinal)
    {
        ["NodeResourcesFit"] = ["scoringStrategy", "ignoredResources", "ignoredResourceGroups"],
        ["NodeResourcesBalancedAllocation"] = ["resources"],
        ["NodeAffinity"] = ["addedAffinity"],
        ["PodTopologySpread"] = ["defaultConstraints", "defaultingType"],
        ["InterPodAffinity"] = ["hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"],
        ["DefaultPreemption"] = ["minCandidateNodesPercentage", "minCandidateNodesAbsolute"],
        ["VolumeBinding"] = ["bindTimeoutSeconds", "shape"],
    };

    /// <summary>The first field of <paramref name="args"/> that <paramref name="plugin"/>'s args kind does not have; null for none.</summary>
    public static string? UnknownField(string plugin, JsonObject? args)
    {
        if (args is null || !Fields.TryGetValue(plugin, out var known))
            return null;
        return args.Select(f => f.Key).FirstOrDefault(f => f is not ("apiVersion" or "kind") && !known.Contains(f, StringComparer.Ordinal));
    }

    /// <summary>NodeResourcesFitArgs' scoringStrategy: LeastAllocated (default), MostAllocated or RequestedToCapacityRatio.</summary>
    public static ScoringStrategy ScoringStrategy(JsonObject? args)
    {
        var strategy = args?["scoringStrategy"];
        var resources = Resources(strategy?["resources"]) ?? ResourceAllocation.CpuAndMemory;
        return strategy?["type"]?.ToString() switch
        {
            null or "" or "LeastAllocated" => new LeastAllocated(resources),
            "MostAllocated" => new MostAllocated(resources),
            "RequestedToCapacityRatio" => new RequestedToCapacityRatio(resources, Shape(strategy["requestedToCapacityRatio"]?["shape"])),
            var other => throw new SchedulerConfigurationException($"NodeResourcesFit: scoringStrategy.type: Unsupported value: \"{other}\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""),
        };
    }

    /// <summary>
    /// NodeResourcesFitArgs' <c>ignoredResources</c> (extended resources by name) and <c>ignoredResourceGroups</c> (by
    /// the domain before the slash, which a group therefore may not contain).
    /// </summary>
    public static (IReadOnlySet<string> Resources, IReadOnlySet<string> Groups) IgnoredResources(JsonObject? args)
    {
        var resources = Strings(args?["ignoredResources"]);
        var groups = Strings(args?["ignoredResourceGroups"]);
        for (var i = 0; i < groups.Count; i++)
        {
            if (groups[i].Contains('/', StringComparison.Ordinal))
                throw new SchedulerConfigurationException($"NodeResourcesFit: ignoredResourceGroups[{i}]: Invalid value: \"{groups[i]}\": resource group name can't contain '/'");
        }
        return (resources.ToHashSet(StringComparer.Ordinal), groups.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// NodeAffinityArgs' <c>addedAffinity</c>: its required node selector terms (null when it has none) and its
    /// preferred terms; null when there is no addedAffinity.
    /// </summary>
    public static (NodeSelectorTerm[]? Required, IReadOnlyList<NodeAffinity.PreferredTerm> Preferred)? AddedAffinity(JsonObject? args)
    {
        if (args?["addedAffinity"] is not JsonObject added)
            return null;
        NodeSelectorTerm[]? required = null;
        if (added["requiredDuringSchedulingIgnoredDuringExecution"] is JsonObject selector)
        {
            required = [.. (selector["nodeSelectorTerms"] as JsonArray ?? []).OfType<JsonObject>().Select(NodeSelectorTerm.Of)];
            if (required.Length == 0)
                throw new SchedulerConfigurationException("NodeAffinity: addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term");
        }
        var preferred = added["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? [];
        for (var i = 0; i < preferred.Count; i++)
        {
            if (preferred[i] is JsonObject term && NodeAffinity.PreferredTerm.WeightOf(term) is < 1 or > 100)
                throw new SchedulerConfigurationException($"NodeAffinity: addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].weight: Invalid value: {term["weight"]?.ToJsonString() ?? "0"}: must be in the range 1-100");
        }
        return (required, [.. NodeAffinity.PreferredTerm.ReadAll(preferred)]);
    }

    /// <summary>A list of <c>{name, weight}</c> (weight 1 when not given); null when absent.</summary>
    public static IReadOnlyList<ResourceAllocation>? Resources(JsonNode? list) =>
        list is JsonArray items
            ? [.. items.OfType<JsonObject>().Select(r => new ResourceAllocation(r["name"]?.ToString() ?? "", Int(r, "weight") is > 0 and var w ? w : 1))]
            : null;

    /// <summary>
    /// PodTopologySpreadArgs: <c>defaultingType</c> System (the default: upstream's constraints) or List (the
    /// <c>defaultConstraints</c> given, which must not have selectors), validated as upstream validates them.
    /// </summary>
    public static (IReadOnlyList<SpreadConstraint> Constraints, bool SystemDefaulted) SpreadDefaults(JsonObject? args)
    {
        const string Prefix = "PodTopologySpread: ";
        var given = (args?["defaultConstraints"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var type = args?["defaultingType"]?.ToString() is { Length: > 0 } t ? t : "System";
        if (type is not ("System" or "List"))
            throw new SchedulerConfigurationException($"{Prefix}defaultingType: Unsupported value: \"{type}\": supported values: \"System\", \"List\"");
        if (type == "System")
        {
            return given.Count == 0
                ? (PodTopologySpread.SystemDefaults, true)
                : throw new SchedulerConfigurationException($"{Prefix}defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty");
        }
        var constraints = new List<SpreadConstraint>();
        foreach (var (c, i) in given.Select((c, i) => (c, i)))
        {
            var at = $"{Prefix}defaultConstraints[{i}]";
            var constraint = SpreadConstraint.FromJson(c, new Dictionary<string, string>());
            if (constraint.MaxSkew <= 0)
                throw new SchedulerConfigurationException($"{at}.maxSkew: Invalid value: {constraint.MaxSkew}: not in valid range (0, inf)");
            if (constraint.TopologyKey.Length == 0)
                throw new SchedulerConfigurationException($"{at}.topologyKey: Required value: can not be empty");
            if (constraint.WhenUnsatisfiable.Length == 0)
                throw new SchedulerConfigurationException($"{at}.whenUnsatisfiable: Required value: can not be empty");
            if (constraint.WhenUnsatisfiable is not (SpreadConstraint.DoNotSchedule or SpreadConstraint.ScheduleAnyway))
                throw new SchedulerConfigurationException($"{at}.whenUnsatisfiable: Unsupported value: \"{constraint.WhenUnsatisfiable}\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"");
            if (c["labelSelector"] is not null)
                throw new SchedulerConfigurationException($"{at}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod");
            if (constraints.Any(o => o.TopologyKey == constraint.TopologyKey && o.WhenUnsatisfiable == constraint.WhenUnsatisfiable))
                throw new SchedulerConfigurationException($"{at}: Duplicate value: \"{{{constraint.TopologyKey}, {constraint.WhenUnsatisfiable}}}\"");
            constraints.Add(constraint);
        }
        return (constraints, false);
    }


    /// <summary>InterPodAffinityArgs' hardPodAffinityWeight: 1 when not given, at most 100.</summary>
    public static int HardPodAffinityWeight(JsonObject? args)
    {
        var weight = Int(args, "hardPodAffinityWeight") ?? 1;
        if (weight is < 0 or > 100)
            throw new SchedulerConfigurationException($"InterPodAffinity: hardPodAffinityWeight: Invalid value: {weight}: not in valid range [0, 100]");
        return weight;
    }

    /// <summary>An integer field; YAML files give their numbers as longs, JSON ones as elements.</summary>
    public static int? Int(JsonNode? args, string field) => args?[field] switch
    {
        JsonValue v when v.TryGetValue<int>(out var n) => n,
        JsonValue v when v.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue => (int)l,
        _ => null,
    };

    public static bool? Bool(JsonNode? args, string field) => args?[field] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    private static List<string> Strings(JsonNode? list) => [.. (list as JsonArray ?? []).Select(item => item?.ToString() ?? "")];

    private static List<(long Utilization, long Score)> Shape(JsonNode? shape)
    {
        var points = (shape as JsonArray ?? []).OfType<JsonObject>().Select(p => ((long)(Int(p, "utilization") ?? 0), (long)(Int(p, "score") ?? 0))).ToList();
        if (points.Count == 0)
            throw new SchedulerConfigurationException("NodeResourcesFit: scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified");
        for (var i = 1; i < points.Count; i++)
        {
            if (points[i].Item1 <= points[i - 1].Item1)
                throw new SchedulerConfigurationException("NodeResourcesFit: scoringStrategy.requestedToCapacityRatio.shape: Invalid value: utilization values must be sorted in increasing order");
        }
        return points;
    }
}
