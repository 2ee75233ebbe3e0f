using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.NodeResourcesFit;

namespace Berth.Scheduler.Tests;

/// <summary>KubeSchedulerConfiguration files into profiles: upstream's defaults, plugins enabled and disabled, weights, args, and clear refusals.</summary>
public sealed class SchedulerConfigurationTests
{
    private static readonly PluginContext Context = new(null, new DisruptionBudgets(), new OwnerSelectors());

    [Fact]
    public void Default_IsUpstreamsDefaultProfileInOrderWithItsWeights()
    {
        var profile = Assert.Single(SchedulerConfiguration.Default.Profiles(Context));

        Assert.Equal("default-scheduler", profile.SchedulerName);
        Assert.Null(profile.PercentageOfNodesToScore);
        Assert.Equal(["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeRestrictions", "VolumeBinding", "VolumeZone",
            "PodTopologySpread", "InterPodAffinity"],
            profile.Filters.Select(f => f.Name));
        var weights = profile.Scorers.ToDictionary(s => s.Plugin.Name, s => s.Weight);
        Assert.Equal(3, weights["TaintToleration"]);
        Assert.Equal(2, weights["NodeAffinity"]);
        Assert.Equal(1, weights["NodeResourcesFit"]);
        Assert.Equal(1, weights["NodeResourcesBalancedAllocation"]);
        Assert.Equal(1, weights["ImageLocality"]);
        Assert.Equal(2, weights["PodTopologySpread"]);
        Assert.Equal(2, weights["InterPodAffinity"]);
        Assert.Equal(["DefaultPreemption"], profile.PostFilters.Select(p => p.Name));
        Assert.Equal(["DefaultBinder"], profile.Binders.Select(p => p.Name));
        Assert.Equal(["SchedulingGates"], profile.PreEnqueue.Select(p => p.Name));
    }

    [Fact]
    public void Profiles_TakeTheirPluginsWeightsArgsAndPercentage()
    {
        var configuration = SchedulerConfiguration.Parse("""
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            percentageOfNodesToScore: 30
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: packer
              percentageOfNodesToScore: 100
              plugins:
                score:
                  disabled:
                  - name: "*"
                  enabled:
                  - name: NodeResourcesFit
                    weight: 5
                postFilter:
                  disabled:
                  - name: DefaultPreemption
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: MostAllocated
                    resources:
                    - name: cpu
                      weight: 1
            """);

        var profiles = configuration.Profiles(Context);

        Assert.Equal(["default-scheduler", "packer"], profiles.Select(p => p.SchedulerName));
        Assert.Equal(30, profiles[0].PercentageOfNodesToScore);
        var packer = profiles[1];
        Assert.Equal(100, packer.PercentageOfNodesToScore);
        var (plugin, weight) = Assert.Single(packer.Scorers);
        Assert.Equal(5, weight);
        var strategy = Assert.IsType<MostAllocated>(((NodeResourcesFit)plugin).Strategy);
        Assert.Equal(["cpu"], strategy.Resources.Select(r => r.Resource));
        Assert.Empty(packer.PostFilters);
        Assert.Contains(packer.Filters, f => f.Name == "NodeResourcesFit");
    }

    [Theory]
    [InlineData("kind: Pod", "the scheduler configuration must be a KubeSchedulerConfiguration of apiVersion kubescheduler.config.k8s.io/v1")]
    [InlineData("profiles: [", "the scheduler configuration is not valid YAML")]
    public void Parse_RefusesWhatIsNotASchedulerConfiguration(string yaml, string message)
    {
        var refused = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfiguration.Parse(yaml));
        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("multiPoint: {enabled: [{name: NoSuchPlugin}]}", "profiles[default-scheduler]: plugin \"NoSuchPlugin\" does not exist")]
    [InlineData("filter: {enabled: [{name: NodeVolumeLimits}]}", "profiles[default-scheduler]: plugin \"NodeVolumeLimits\" is not available in Berth yet")]
    [InlineData("score: {enabled: [{name: NodePorts}]}", "profiles[default-scheduler].plugins.score: plugin \"NodePorts\" does not extend score")]
    [InlineData("scroe: {}", "profiles[default-scheduler].plugins: unknown extension point \"scroe\"")]
    public void Profiles_RefusePluginsThatCannotRun(string plugins, string message)
    {
        var configuration = SchedulerConfiguration.Parse($"""
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - plugins:
                {plugins}
            """);

        Assert.Equal(message, Assert.Throws<SchedulerConfigurationException>(() => configuration.Profiles(Context)).Message);
    }

    [Fact]
    public void Profiles_RefuseTwoProfilesOfOneName()
    {
        var configuration = SchedulerConfiguration.Parse("""
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - schedulerName: a
            - schedulerName: a
            """);

        Assert.Equal("profiles[].schedulerName: Duplicate value: \"a\"", Assert.Throws<SchedulerConfigurationException>(() => configuration.Profiles(Context)).Message);
    }

    [Fact]
    public void NodeAffinityArgs_AddedAffinity_HoldsEveryPodOfTheProfileAndAddsToItsPreferences()
    {
        var profile = ProfileWith("""
            - name: NodeAffinity
              args:
                addedAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms:
                    - matchExpressions: [{key: pool, operator: In, values: [batch]}]
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 10
                    preference:
                      matchExpressions: [{key: disk, operator: In, values: [ssd]}]
            """);
        var affinity = profile.Filters.Single(f => f.Name == "NodeAffinity");
        var nodes = new[] { Objects.Node("web", labels: """{"pool":"web"}"""), Objects.Node("hdd", labels: """{"pool":"batch","disk":"hdd"}"""), Objects.Node("ssd", labels: """{"pool":"batch","disk":"ssd"}""") };
        var pod = Objects.Pod("p");
        var state = new CycleState();
        var snapshot = new Snapshot(nodes, new NamespaceLabels());

        Assert.True(((IPreFilterPlugin)affinity).PreFilter(state, pod, snapshot).IsSuccess);
        Assert.Equal(["node(s) didn't match scheduler-enforced node affinity", "", ""], nodes.Select(n => string.Join(", ", affinity.Filter(state, pod, n).Reasons)));
        var scorer = (IScorePlugin)affinity;
        Assert.True(((IPreScorePlugin)affinity).PreScore(state, pod, snapshot, nodes[1..]).IsSuccess);
        Assert.Equal([0, 10], scorer.ScoreAll(state, pod, nodes[1..]));
    }

    [Fact]
    public void NodeResourcesFitArgs_IgnoredResources_AreNotCheckedButOthersAre()
    {
        var profile = ProfileWith("""
            - name: NodeResourcesFit
              args:
                ignoredResources: [example.com/licence]
                ignoredResourceGroups: [accel.example.org]
            """);
        var fit = profile.Filters.Single(f => f.Name == "NodeResourcesFit");
        var node = Objects.Node("n");
        Framework.PodInfo Asking(string resource) => Objects.Pod("p", spec: $$$"""{"overhead":{"{{{resource}}}":"1"}}""");

        Assert.True(fit.Filter(new CycleState(), Asking("example.com/licence"), node).IsSuccess);
        Assert.True(fit.Filter(new CycleState(), Asking("accel.example.org/gpu"), node).IsSuccess);
        Assert.Equal(["Insufficient example.com/gpu"], fit.Filter(new CycleState(), Asking("example.com/gpu"), node).Reasons);
        Assert.Equal(["Insufficient hugepages-2Mi"], fit.Filter(new CycleState(), Asking("hugepages-2Mi"), node).Reasons);
    }

    [Theory]
    [InlineData("""
        - name: NodeResourcesFit
          args: {ignoredResourceGroups: [example.com/gpu]}
        """, "NodeResourcesFit: ignoredResourceGroups[0]: Invalid value: \"example.com/gpu\": resource group name can't contain '/'")]
    [InlineData("""
        - name: NodeAffinity
          args: {addedAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}
        """, "NodeAffinity: addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term")]
    [InlineData("""
        - name: NodeAffinity
          args: {addedAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {}}]}}
        """, "NodeAffinity: addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100")]
    [InlineData("""
        - name: InterPodAffinity
          args: {hardPodAffinityWeigth: 5}
        """, "profiles[default-scheduler].pluginConfig[InterPodAffinity].args: strict decoding error: unknown field \"hardPodAffinityWeigth\"")]
    public void PluginArgs_RefuseWhatUpstreamRefuses(string pluginConfig, string message)
    {
        Assert.Equal(message, Assert.Throws<SchedulerConfigurationException>(() => ProfileWith(pluginConfig)).Message);
    }

    /// <summary>The default profile with <paramref name="pluginConfig"/> (a YAML list) as its plugins' args.</summary>
    private static Profile ProfileWith(string pluginConfig) =>
        Assert.Single(SchedulerConfiguration.Parse($"""
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - pluginConfig:
            {string.Join('\n', pluginConfig.Split('\n').Select(line => "  " + line))}
            """).Profiles(Context));
}
