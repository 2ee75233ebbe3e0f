using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.Core.Resources;

namespace Berth.ApiServer.Tests;

/// <summary>The watch cache's form of a stored object: its resourceVersion stamped in, its labels and selectable fields read.</summary>
public sealed class CachedObjectTests
{
    private static readonly ResourceInfo Pods = ResourceTable.BuiltIn.Find("", "v1", "pods")!;
    private static readonly ResourceInfo Events = ResourceTable.BuiltIn.Find("", "v1", "events")!;

    [Fact]
    public void From_WhenStoredWithoutAResourceVersion_ThenItIsStampedInMetadataAndTheRestIsKept()
    {
        var stored = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web","tier":"front"}},"spec":{"nodeName":"n1","hostNetwork":true},"status":{"phase":"Running"}}""";

        var cached = CachedObject.From(Pods, "/registry/pods/shop/web", Encoding.UTF8.GetBytes(stored), 42);

        var obj = cached.Parse();
        Assert.Equal("42", obj["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(stored)!["spec"], obj["spec"]));
        Assert.Equal("web", obj["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" }, cached.Labels.ToDictionary());
        Assert.Equal("n1", cached.Fields["spec.nodeName"]);
        Assert.Equal("true", cached.Fields["spec.hostNetwork"]);
        Assert.Equal("Running", cached.Fields["status.phase"]);
        Assert.Equal("", cached.Fields["status.podIP"]);
        Assert.Equal("shop", cached.Fields["metadata.namespace"]);
    }

    [Fact]
    public void From_WhenMetadataIsEmptyOrAlreadyHasAResourceVersion_ThenTheResultIsValidJsonWithTheRevision()
    {
        var empty = CachedObject.From(Pods, "k", """{"kind":"Pod","metadata":{}}"""u8, 7).Parse();
        var stale = CachedObject.From(Pods, "k", """{"kind":"Pod","metadata":{"name":"a","resourceVersion":"3"}}"""u8, 8).Parse();

        Assert.Equal("7", empty["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("8", stale["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal("a", stale["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void From_AnEvent_ThenItsSourceSelectsByComponent()
    {
        var cached = CachedObject.From(Events, "k", """{"kind":"Event","metadata":{"name":"e"},"source":{"component":"kubelet"},"count":3,"type":"Normal"}"""u8, 1);

        Assert.Equal("kubelet", cached.Fields["source"]);
        Assert.Equal("Normal", cached.Fields["type"]);
    }
}
