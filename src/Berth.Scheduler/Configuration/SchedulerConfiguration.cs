using System.Text.Json.Nodes;
using Berth.Core.Serialization;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Configuration;

/// <summary>
/// The scheduler's configuration: a <c>KubeSchedulerConfiguration</c> (kubescheduler.config.k8s.io/v1) file, or
/// upstream's defaults without one. Supported: <c>percentageOfNodesToScore</c> (top level and per profile), several
/// profiles by <c>schedulerName</c>, plugins enabled and disabled per extension point and at <c>multiPoint</c> (with
/// <c>*</c> for all defaults) with score weights, and <c>pluginConfig</c> args for the plugins that take them.
/// </summary>
public sealed class SchedulerConfiguration
{
    private static readonly (string Field, Type Point)[] ExtensionPoints =
    [
        ("preEnqueue", typeof(IPreEnqueuePlugin)), ("preFilter", typeof(IPreFilterPlugin)), ("filter", typeof(IFilterPlugin)),
        ("postFilter", typeof(IPostFilterPlugin)), ("preScore", typeof(IPreScorePlugin)), ("score", typeof(IScorePlugin)),
        ("reserve", typeof(IReservePlugin)), ("permit", typeof(IPermitPlugin)), ("preBind", typeof(IPreBindPlugin)), ("bind", typeof(IBindPlugin)),
    ];

    private static readonly string[] OtherPoints = ["queueSort", "postBind", "multiPoint"];

    private readonly JsonObject _config;

    private SchedulerConfiguration(JsonObject config) => _config = config;

    /// <summary>Upstream's defaults: one profile, <c>default-scheduler</c>, with the default plugins.</summary>
    public static SchedulerConfiguration Default { get; } = new([]);

    /// <summary>Reads a configuration file (YAML or JSON).</summary>
    public static SchedulerConfiguration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new SchedulerConfigurationException($"couldn't read scheduler configuration {path}: {e.Message}");
        }
        return Parse(text);
    }

    public static SchedulerConfiguration Parse(string text)
    {
        JsonNode? parsed;
        try
        {
            parsed = YamlToJson.Convert(text);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new SchedulerConfigurationException($"the scheduler configuration is not valid YAML: {e.Message}");
        }
        if (parsed is not JsonObject config || config["kind"]?.ToString() != "KubeSchedulerConfiguration"
            || config["apiVersion"]?.ToString() != "kubescheduler.config.k8s.io/v1")
            throw new SchedulerConfigurationException("the scheduler configuration must be a KubeSchedulerConfiguration of apiVersion kubescheduler.config.k8s.io/v1");
        return new SchedulerConfiguration(config);
    }

    /// <summary>Throws <see cref="SchedulerConfigurationException"/> if the profiles cannot be built, before anything starts.</summary>
    public void Validate() => _ = Profiles(new PluginContext(null, new DisruptionBudgets(), new OwnerSelectors()));

    /// <summary>The profiles, their plugins built with <paramref name="context"/> (a context without the API only validates).</summary>
    public IReadOnlyList<Profile> Profiles(PluginContext context)
    {
        var percentage = PluginArgs.Int(_config, "percentageOfNodesToScore");
        var profiles = (_config["profiles"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (profiles.Count == 0)
            profiles.Add([]);
        var built = profiles.Select(p => Build(p, percentage, context)).ToList();
        var duplicate = built.GroupBy(p => p.SchedulerName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new SchedulerConfigurationException($"profiles[].schedulerName: Duplicate value: \"{duplicate.Key}\"");
        return built;
    }

    private static Profile Build(JsonObject profile, int? percentage, PluginContext context)
    {
        var name = profile["schedulerName"]?.ToString() is { Length: > 0 } given ? given : "default-scheduler";
        var plugins = profile["plugins"] as JsonObject ?? [];
        foreach (var (field, _) in plugins)
        {
            if (!OtherPoints.Contains(field) && ExtensionPoints.All(p => p.Field != field))
                throw new SchedulerConfigurationException($"profiles[{name}].plugins: unknown extension point \"{field}\"");
        }
        var args = (profile["pluginConfig"] as JsonArray ?? []).OfType<JsonObject>()
            .ToDictionary(c => c["name"]?.ToString() ?? "", c => c["args"] as JsonObject, StringComparer.Ordinal);
        foreach (var (plugin, pluginArgs) in args)
        {
            if (PluginArgs.UnknownField(plugin, pluginArgs) is { } unknown)
                throw new SchedulerConfigurationException($"profiles[{name}].pluginConfig[{plugin}].args: strict decoding error: unknown field \"{unknown}\"");
        }

        // multiPoint: the defaults less those disabled, then those enabled (an enabled default takes the new weight).
        var multiPoint = Without(PluginRegistry.Defaults, plugins["multiPoint"]?["disabled"]);
        foreach (var (plugin, weight) in Enabled(plugins["multiPoint"]))
        {
            var at = multiPoint.FindIndex(p => p.Name == plugin);
            if (at >= 0)
                multiPoint[at] = (plugin, weight ?? multiPoint[at].Weight);
            else
                multiPoint.Add((plugin, weight ?? 1));
        }

        var instances = new Dictionary<string, IPlugin>(StringComparer.Ordinal);
        IPlugin Instance(string plugin)
        {
            if (instances.TryGetValue(plugin, out var made))
                return made;
            if (!PluginRegistry.Knows(plugin))
            {
                throw new SchedulerConfigurationException(PluginRegistry.NotYetAvailable.Contains(plugin)
                    ? $"profiles[{name}]: plugin \"{plugin}\" is not available in Berth yet"
                    : $"profiles[{name}]: plugin \"{plugin}\" does not exist");
            }
            return instances[plugin] = PluginRegistry.Create(plugin, args.GetValueOrDefault(plugin), context);
        }

        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        var lists = new Dictionary<Type, List<IPlugin>>();
        foreach (var (field, point) in ExtensionPoints)
        {
            var list = lists[point] = [];
            foreach (var (plugin, weight) in Enabled(plugins[field]))
            {
                var instance = Instance(plugin);
                if (!point.IsInstanceOfType(instance))
                    throw new SchedulerConfigurationException($"profiles[{name}].plugins.{field}: plugin \"{plugin}\" does not extend {field}");
                list.Add(instance);
                if (weight is { } w)
                    weights[plugin] = w;
            }
            var disabled = Names(plugins[field]?["disabled"]);
            foreach (var (plugin, weight) in multiPoint)
            {
                if (disabled.Contains("*") || disabled.Contains(plugin) || list.Any(p => p.Name == plugin)
                    || PluginRegistry.NotYetAvailable.Contains(plugin) || !point.IsInstanceOfType(Instance(plugin)))
                    continue;
                list.Add(Instance(plugin));
                weights.TryAdd(plugin, weight);
            }
        }
        List<T> At<T>() => [.. lists[typeof(T)].Cast<T>()];
        return new Profile(name, At<IPreEnqueuePlugin>(), At<IPreFilterPlugin>(), At<IFilterPlugin>(), At<IPostFilterPlugin>(), At<IPreScorePlugin>(),
            [.. At<IScorePlugin>().Select(s => (s, weights.GetValueOrDefault(s.Name) is > 0 and var w ? w : 1))],
            At<IReservePlugin>(), At<IPermitPlugin>(), At<IPreBindPlugin>(), At<IBindPlugin>(),
            PluginArgs.Int(profile, "percentageOfNodesToScore") ?? percentage);
    }

    private static List<(string Name, int Weight)> Without(IEnumerable<(string Name, int Weight)> plugins, JsonNode? disabled)
    {
        var names = Names(disabled);
        return [.. plugins.Where(p => !names.Contains("*") && !names.Contains(p.Name))];
    }

    private static IEnumerable<(string Name, int? Weight)> Enabled(JsonNode? set) =>
        (set?["enabled"] as JsonArray ?? []).OfType<JsonObject>().Select(p => (p["name"]?.ToString() ?? "", PluginArgs.Int(p, "weight")));

    private static HashSet<string> Names(JsonNode? list) =>
        new((list as JsonArray ?? []).Select(p => p?["name"]?.ToString() ?? ""), StringComparer.Ordinal);
}
