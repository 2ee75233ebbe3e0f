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
}
