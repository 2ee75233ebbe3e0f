using Berth.Core.Selectors;

namespace Berth.Core.Tests;

public sealed class FieldSelectorTests
{
    private static readonly Dictionary<string, string> Pod = new() { ["metadata.name"] = "web-0", ["spec.nodeName"] = "node-1", ["status.phase"] = "Running" };

    [Theory]
    [InlineData("metadata.name=web-0", true)]
    [InlineData("metadata.name==web-0", true)]
    [InlineData("metadata.name!=web-0", false)]
    [InlineData("spec.nodeName=node-1,status.phase!=Failed", true)]
    [InlineData("spec.nodeName=", false)]
    [InlineData("status.podIP=", true)]
    public void Matches_EveryTermMustHold(string selector, bool matches)
    {
        var parsed = FieldSelector.TryParse(selector, out var error);

        Assert.True(parsed is not null, error);
        Assert.Equal(matches, parsed.Matches(Pod));
    }

    [Fact]
    public void TryParse_UnderstandsEscapedCommas()
    {
        var parsed = FieldSelector.TryParse(@"metadata.name=a\,b", out _)!;

        Assert.Equal("a,b", parsed.RequiredValue("metadata.name"));
    }

    [Fact]
    public void TryParse_WithoutAnOperator_IsRefused() => Assert.Null(FieldSelector.TryParse("metadata.name", out _));
}
