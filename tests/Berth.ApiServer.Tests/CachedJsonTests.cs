using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;

namespace Berth.ApiServer.Tests;

/// <summary>The watch cache's segmented JSON: the same bytes out as in, with identical field sets kept once.</summary>
public sealed class CachedJsonTests
{
    [Fact]
    public void From_WhenObjectsShareAFieldSet_ThenTheyWriteAndParseTheirOwnBytesAndTheSetIsKeptOnce()
    {
        var fields = new JsonObject();
        for (var i = 0; i < 40; i++)
            fields[$"f:field{i}"] = new JsonObject();
        var first = Pod("a", fields);
        var second = Pod("b", fields);

        var firstJson = CachedJson.From(first);
        var secondJson = CachedJson.From(second);

        Assert.Equal(first, Written(firstJson));
        Assert.Equal(second, Written(secondJson));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(second), secondJson.Parse()));
        var set = Encoding.UTF8.GetBytes(fields.ToJsonString());
        Assert.Same(SharedSegments.Intern(set), SharedSegments.Intern(set));
    }

    [Fact]
    public void WriteTo_WhenSegmented_ThenTheListItemIsTheWholeObject()
    {
        var fields = new JsonObject();
        for (var i = 0; i < 40; i++)
            fields[$"f:field{i}"] = new JsonObject();
        var pod = Pod("a", fields);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            CachedJson.From(pod).WriteTo(writer);
            CachedJson.From(pod).WriteTo(writer);
            writer.WriteEndArray();
        }

        var list = JsonNode.Parse(buffer.WrittenSpan)!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pod), list[1]));
    }

    private static byte[] Pod(string name, JsonObject fields) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "m", ["fieldsV1"] = fields.DeepClone() }),
        },
        ["spec"] = new JsonObject { ["nodeName"] = "n" },
    }.ToJsonString());

    private static byte[] Written(CachedJson json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        json.CopyTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
