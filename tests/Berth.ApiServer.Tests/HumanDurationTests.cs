using Berth.ApiServer.Printing;

namespace Berth.ApiServer.Tests;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(-5, "<invalid>")]
    [InlineData(0, "0s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(200, "3m20s")]
    [InlineData(47 * 60, "47m")]
    [InlineData(3 * 3600 + 5 * 60, "3h5m")]
    [InlineData(5 * 3600, "5h")]
    [InlineData(20 * 3600, "20h")]
    [InlineData(3 * 86400 + 4 * 3600, "3d4h")]
    [InlineData(200 * 86400, "200d")]
    [InlineData((3 * 365 + 41) * 86400L, "3y41d")]
    [InlineData(9 * 365 * 86400L, "9y")]
    public void Format_MatchesWhatKubectlUsersSee(long seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
}
