using Berth.Core.Selectors;

namespace Berth.Core.Tests;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web", ["tier"] = "frontend", ["replicas"] = "3" };

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app in (web, db)", true)]
    [InlineData("app in (db)", false)]
    [InlineData("app notin (db,cache)", true)]
    [InlineData("missing notin (x)", true)]
    [InlineData("tier", true)]
    [InlineData("!tier", false)]
    [InlineData("!canary", true)]
    [InlineData("app=web,tier=frontend", true)]
    [InlineData("app=web,tier=backend", false)]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<2", false)]
    [InlineData(" app = web , !canary ", true)]
    public void Matches_FollowsKubernetesSelectorSemantics(string selector, bool matches)
    {
        var parsed = LabelSelector.TryParse(selector, out var error);

        Assert.True(parsed is not null, error);
        Assert.Equal(matches, parsed.Matches(Web));
    }

    [Theory]
    [InlineData("app=web,")]
    [InlineData("app in web")]
    [InlineData("app in (web")]
    [InlineData("app ~ web")]
    [InlineData("=web")]
    [InlineData("replicas>x")]
    public void TryParse_WhenMalformed_SaysWhy(string selector)
    {
        Assert.Null(LabelSelector.TryParse(selector, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
