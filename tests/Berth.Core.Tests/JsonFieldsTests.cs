using System.Text.Json;
using Berth.Core.Serialization;

namespace Berth.Core.Tests;

public sealed class JsonFieldsTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void StringMap_KeepsTheStringValuesAndLeavesOutTheRest()
    {
        var metadata = Parse("""{"labels":{"app":"web","tier":"front","odd":3,"none":null}}""");

        Assert.Equal(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" }, JsonFields.StringMap(metadata, "labels"));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"labels":null}""")]
    [InlineData("""{"labels":["app"]}""")]
    [InlineData("""{"labels":"app=web"}""")]
    public void StringMap_OfAMissingOrOddFieldIsEmpty(string json) => Assert.Empty(JsonFields.StringMap(Parse(json), "labels"));

    [Fact]
    public void StringMap_OfWhatIsNotAnObjectIsEmpty() => Assert.Empty(JsonFields.StringMap(default, "labels"));

    [Theory]
    [InlineData("""{"deletionTimestamp":"2026-11-27T10:00:00Z"}""", true)]
    [InlineData("""{"deletionTimestamp":null}""", false)]
    [InlineData("""{}""", false)]
    public void Has_IsTrueOnlyForAFieldWithAValue(string json, bool has) => Assert.Equal(has, JsonFields.Has(Parse(json), "deletionTimestamp"));
}
