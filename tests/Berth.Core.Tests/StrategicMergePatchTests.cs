using System.Text.Json.Nodes;
using Berth.Core.Patching;

namespace Berth.Core.Tests;

/// <summary>Strategic merge patch, directive by directive, as the Kubernetes documentation and kubectl's patches use them.</summary>
public sealed class StrategicMergePatchTests
{
    [Fact]
    public void Apply_WhenContainersAreMergedByName_ThenOnlyTheNamedContainerChangesAndNewOnesAreAppended()
    {
        var result = Apply("Pod",
            """{"spec":{"containers":[{"name":"a","image":"a:1","args":["x"]},{"name":"b","image":"b:1"}]}}""",
            """{"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}}""");

        Assert.Equal("""{"spec":{"containers":[{"name":"a","image":"a:1","args":["x"]},{"name":"b","image":"b:2"},{"name":"c","image":"c:1"}]}}""", result);
    }

    [Fact]
    public void Apply_WhenAListHasNoMergeStrategy_ThenItIsReplacedWhole()
    {
        var result = Apply("Pod",
            """{"spec":{"containers":[{"name":"a","args":["x","y"]}],"tolerations":[{"key":"k1"}]}}""",
            """{"spec":{"containers":[{"name":"a","args":["z"]}],"tolerations":[{"key":"k2"}]}}""");

        Assert.Equal("""{"spec":{"containers":[{"name":"a","args":["z"]}],"tolerations":[{"key":"k2"}]}}""", result);
    }

    [Fact]
    public void Apply_WhenAnElementSaysPatchDelete_ThenEveryElementWithThatKeyGoes()
    {
        var result = Apply("Deployment",
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"sidecar"}]}}}}""",
            """{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"3"},{"$patch":"delete","name":"A"}]},{"$patch":"delete","name":"sidecar"}]}}}}""");

        Assert.Equal("""{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"3"}]}]}}}}""", result);
    }

    [Fact]
    public void Apply_WhenAListHoldsAReplaceDirective_ThenTheListIsTheOtherElements()
    {
        var result = Apply("Pod",
            """{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""",
            """{"spec":{"containers":[{"name":"c","image":"c:1"},{"$patch":"replace"}]}}""");

        Assert.Equal("""{"spec":{"containers":[{"name":"c","image":"c:1"}]}}""", result);
    }

    [Fact]
    public void Apply_WhenAMapSaysPatchReplaceOrDelete_ThenTheMapIsReplacedOrEmptied()
    {
        var replaced = Apply("Pod", """{"metadata":{"labels":{"a":"1","b":"2"}}}""", """{"metadata":{"labels":{"$patch":"replace","c":"3"}}}""");
        var deleted = Apply("Pod", """{"metadata":{"labels":{"a":"1"}}}""", """{"metadata":{"labels":{"$patch":"delete"}}}""");

        Assert.Equal("""{"metadata":{"labels":{"c":"3"}}}""", replaced);
        Assert.Equal("""{"metadata":{"labels":{}}}""", deleted);
    }

    [Fact]
    public void Apply_WhenAValueIsNull_ThenTheKeyIsDeleted()
    {
        var result = Apply("ConfigMap", """{"data":{"a":"1","b":"2"}}""", """{"data":{"a":null}}""");

        Assert.Equal("""{"data":{"b":"2"}}""", result);
    }

    [Fact]
    public void Apply_WhenFinalizersAreMergedAndDeleted_ThenTheyActAsASet()
    {
        var merged = Apply("ConfigMap", """{"metadata":{"finalizers":["a","b"]}}""", """{"metadata":{"finalizers":["b","c"]}}""");
        var deleted = Apply("ConfigMap", """{"metadata":{"finalizers":["a","b"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"$setElementOrder/finalizers":["b"]}}""");

        Assert.Equal("""{"metadata":{"finalizers":["a","b","c"]}}""", merged);
        Assert.Equal("""{"metadata":{"finalizers":["b"]}}""", deleted);
    }

    [Fact]
    public void Apply_WhenSetElementOrderIsGiven_ThenTheMergedListFollowsIt()
    {
        var result = Apply("Pod",
            """{"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"server-only"}]}}""",
            """{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"a:2"}]}}""");

        Assert.Equal("""{"spec":{"containers":[{"name":"b"},{"name":"a","image":"a:2"},{"name":"server-only"}]}}""", result);
    }

    [Fact]
    public void Apply_WhenRetainKeysIsGiven_ThenKeysNotListedAreDropped()
    {
        var result = Apply("Deployment",
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}}""");
        var volume = Apply("Pod",
            """{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}""",
            """{"spec":{"volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"cm1"},"emptyDir":null,"name":"v"}]}}""");

        Assert.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
        Assert.Equal("""{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm1"}}]}}""", volume);
    }

    [Fact]
    public void Apply_WhenRetainKeysOmitsAPatchedKey_ThenThePatchIsRefused()
    {
        Assert.Throws<PatchException>(() => Apply("Deployment", """{"spec":{}}""", """{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}"""));
    }

    [Fact]
    public void Apply_WhenAnElementLacksTheMergeKey_ThenThePatchIsRefused()
    {
        var error = Assert.Throws<PatchException>(() => Apply("Pod", """{"spec":{"containers":[]}}""", """{"spec":{"containers":[{"image":"x"}]}}"""));

        Assert.Contains("does not contain declared merge key: name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_WhenContainerPortsAndServicePortsChange_ThenTheyMergeByTheirKeys()
    {
        var pod = Apply("Pod",
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"},{"containerPort":9090}]}]}}""",
            """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":9090,"name":"metrics"}]}]}}""");
        var service = Apply("Service",
            """{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}}""",
            """{"spec":{"ports":[{"port":80,"targetPort":9000}]}}""");

        Assert.Equal("""{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"},{"containerPort":9090,"name":"metrics"}]}]}}""", pod);
        Assert.Equal("""{"spec":{"ports":[{"port":80,"targetPort":9000},{"port":443}]}}""", service);
    }

    [Fact]
    public void Apply_WhenTheKindIsNotDescribed_ThenOnlyItsMetadataMergesStrategically()
    {
        var result = Apply("Ingress",
            """{"metadata":{"ownerReferences":[{"uid":"1","name":"a"}]},"spec":{"rules":[{"host":"a"}]}}""",
            """{"metadata":{"ownerReferences":[{"uid":"2","name":"b"}]},"spec":{"rules":[{"host":"b"}]}}""");

        Assert.Equal("""{"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]},"spec":{"rules":[{"host":"b"}]}}""", result);
    }

    private static string Apply(string kind, string original, string patch) =>
        StrategicMergePatch.Apply(JsonNode.Parse(original)!.AsObject(), JsonNode.Parse(patch)!.AsObject(), kind).ToJsonString();
}
