using System.Text.Json.Nodes;
using Berth.Core.Patching;

namespace Berth.Core.Tests;

public sealed class PatchTests
{
    private static JsonNode Doc() => JsonNode.Parse("""{"metadata":{"name":"x","labels":{"a":"1"}},"spec":{"list":[1,2,3]}}""")!;

    [Theory]
    [InlineData("""{"metadata":{"labels":{"b":"2"}}}""", """{"metadata":{"name":"x","labels":{"a":"1","b":"2"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""{"metadata":{"labels":null}}""", """{"metadata":{"name":"x"},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""{"spec":{"list":[9]}}""", """{"metadata":{"name":"x","labels":{"a":"1"}},"spec":{"list":[9]}}""")]
    public void MergePatch_MergesObjectsReplacesTheRestAndDeletesNulls(string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), MergePatch.Apply(Doc(), JsonNode.Parse(patch))));

    [Theory]
    [InlineData("""[{"op":"add","path":"/metadata/labels/b","value":"2"}]""", "/metadata/labels/b", "\"2\"")]
    [InlineData("""[{"op":"replace","path":"/spec/list/0","value":7}]""", "/spec/list", "[7,2,3]")]
    [InlineData("""[{"op":"add","path":"/spec/list/-","value":4}]""", "/spec/list", "[1,2,3,4]")]
    [InlineData("""[{"op":"add","path":"/spec/list/1","value":9}]""", "/spec/list", "[1,9,2,3]")]
    [InlineData("""[{"op":"remove","path":"/spec/list/2"}]""", "/spec/list", "[1,2]")]
    [InlineData("""[{"op":"move","from":"/metadata/labels/a","path":"/metadata/labels/z"}]""", "/metadata/labels", """{"z":"1"}""")]
    [InlineData("""[{"op":"copy","from":"/metadata/name","path":"/metadata/alias"}]""", "/metadata/alias", "\"x\"")]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"x"},{"op":"add","path":"/ok","value":true}]""", "/ok", "true")]
    [InlineData("""[{"op":"add","path":"/metadata/labels/a~1b","value":"s"}]""", "/metadata/labels", """{"a":"1","a/b":"s"}""")]
    public void JsonPatch_AppliesEachOperation(string patch, string path, string expected)
    {
        var result = JsonPatch.Apply(Doc(), JsonNode.Parse(patch)!.AsArray());

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), Pointer(result, path)), result.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"y"}]""")]
    [InlineData("""[{"op":"remove","path":"/nope"}]""")]
    [InlineData("""[{"op":"replace","path":"/spec/list/9","value":1}]""")]
    [InlineData("""[{"op":"jump","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"no-slash","value":1}]""")]
    public void JsonPatch_WhenItCannotApply_FailsAndLeavesTheDocument(string patch)
    {
        var doc = Doc();

        Assert.Throws<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse(patch)!.AsArray()));
        Assert.True(JsonNode.DeepEquals(Doc(), doc));
    }

    private static JsonNode? Pointer(JsonNode node, string path)
    {
        JsonNode? current = node;
        foreach (var segment in path.Trim('/').Split('/'))
            current = current is JsonArray array ? array[int.Parse(segment, System.Globalization.CultureInfo.InvariantCulture)] : current?[segment];
        return current;
    }
}
