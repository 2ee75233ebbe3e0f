using System.Text.Json.Nodes;
using Berth.Core.Pods;

namespace Berth.Core.Tests;

/// <summary>The pod rules nodes and the scheduler share: effective requests, node selection, tolerations and host ports.</summary>
public sealed class PodSchedulingRulesTests
{
    private static readonly Dictionary<string, string> SsdNode = new() { ["disktype"] = "ssd", ["zone"] = "a", ["cores"] = "16" };

    [Fact]
    public void Requests_AreTheAppContainersAndSidecarsOrTheLargestInitContainerWithEarlierSidecars_PlusOverhead()
    {
        var spec = Spec("""
            {"initContainers":[
               {"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},
               {"name":"migrate","resources":{"requests":{"cpu":"2","memory":"32Mi"}}}],
             "containers":[
               {"name":"a","resources":{"requests":{"cpu":"500m","memory":"128Mi"}}},
               {"name":"b","resources":{"requests":{"cpu":"250m","example.com/gpu":"1"}}}],
             "overhead":{"cpu":"10m"}}
            """);

        var requests = PodRequests.Of(spec);

        // cpu: the init container with the sidecar beside it (2.1) beats the app with the sidecar (0.85).
        Assert.Equal(2.11m, requests["cpu"]);
        // memory: the app with the sidecar (192Mi) beats the init container with the sidecar (96Mi).
        Assert.Equal(192m * 1024 * 1024, requests["memory"]);
        Assert.Equal(1m, requests["example.com/gpu"]);
    }

    [Theory]
    [InlineData("""{"nodeSelector":{"disktype":"ssd"}}""", true)]
    [InlineData("""{"nodeSelector":{"disktype":"hdd"}}""", false)]
    [InlineData("""{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["b"]}]},{"matchExpressions":[{"key":"cores","operator":"Gt","values":["8"]}]}]}}}}""", true)]
    [InlineData("""{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"cores","operator":"Lt","values":["8"]}]}]}}}}""", false)]
    [InlineData("""{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"gpu","operator":"DoesNotExist"},{"key":"zone","operator":"NotIn","values":["b"]}]}]}}}}""", true)]
    [InlineData("""{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node-1"]}]}]}}}}""", true)]
    [InlineData("""{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{}]}}}}""", false)]
    public void NodeSelection_FollowsUpstreamsOperatorsAndTerms(string podSpec, bool matches) =>
        Assert.Equal(matches, NodeSelection.Matches(Spec(podSpec), "node-1", SsdNode));

    [Theory]
    [InlineData("""[{"key":"dedicated","operator":"Equal","value":"db","effect":"NoExecute"}]""", true)]
    [InlineData("""[{"key":"dedicated","operator":"Equal","value":"web"}]""", false)]
    [InlineData("""[{"key":"dedicated","operator":"Exists"}]""", true)]
    [InlineData("""[{"operator":"Exists"}]""", true)]
    [InlineData("""[{"key":"dedicated","operator":"Exists","effect":"NoSchedule"}]""", false)]
    public void Tolerations_MatchKeyValueAndEffectAsUpstream(string tolerations, bool tolerated)
    {
        var taint = Spec("""{"key":"dedicated","value":"db","effect":"NoExecute"}""");
        Assert.Equal(tolerated, Tolerations.Tolerate(JsonNode.Parse(tolerations)!.AsArray(), taint));
    }

    [Fact]
    public void HostPorts_CollideOnTheSamePortAndProtocolUnlessBothNameDifferentAddresses()
    {
        var any = new HostPort("TCP", "", 8080);
        Assert.True(any.CollidesWith(new HostPort("TCP", "127.0.0.1", 8080)));
        Assert.False(any.CollidesWith(new HostPort("UDP", "", 8080)));
        Assert.False(new HostPort("TCP", "127.0.0.1", 8080).CollidesWith(new HostPort("TCP", "127.0.0.2", 8080)));
        Assert.Equal([new HostPort("TCP", "", 80)],
            HostPort.Of(Spec("""{"containers":[{"name":"a","ports":[{"containerPort":80,"hostPort":80},{"containerPort":81}]}]}""")));
    }

    private static JsonObject Spec(string json) => JsonNode.Parse(json)!.AsObject();
}
