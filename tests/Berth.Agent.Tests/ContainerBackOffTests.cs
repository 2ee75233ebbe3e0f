using Berth.Agent.Pods;

namespace Berth.Agent.Tests;

/// <summary>Upstream's crash back-off: none at first, then 10 s doubling to 5 minutes, forgotten after 10 minutes of running.</summary>
public sealed class ContainerBackOffTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void BackOff_DoublesFromTenSecondsToFiveMinutes()
    {
        var backOff = new ContainerBackOff();
        Assert.False(backOff.Waits("uid/main", Start, Start, out _, out _));

        var delays = new List<TimeSpan>();
        var now = Start;
        for (var i = 0; i < 7; i++)
        {
            backOff.Restarted("uid/main", now);
            now += TimeSpan.FromSeconds(1);
            Assert.True(backOff.Waits("uid/main", now, now, out var delay, out var until));
            Assert.Equal(now + delay, until);
            delays.Add(delay);
            now = until;
            Assert.False(backOff.Waits("uid/main", now - delay, now, out _, out _));
        }

        Assert.Equal([10, 20, 40, 80, 160, 300, 300], delays.Select(d => (int)d.TotalSeconds));
    }

    [Fact]
    public void BackOff_IsForgottenOnceAContainerRanTenMinutesAndForItsPodsOtherContainersNot()
    {
        var backOff = new ContainerBackOff();
        backOff.Restarted("uid/main", Start);
        backOff.Restarted("uid/main", Start + TimeSpan.FromSeconds(11));
        backOff.Restarted("other/main", Start);

        var exitedLate = Start + TimeSpan.FromMinutes(11);
        Assert.False(backOff.Waits("uid/main", exitedLate, exitedLate, out _, out _));
        backOff.Restarted("uid/main", exitedLate);
        Assert.True(backOff.Waits("uid/main", exitedLate, exitedLate, out var delay, out _));
        Assert.Equal(TimeSpan.FromSeconds(10), delay);

        backOff.Forget("uid");
        Assert.False(backOff.Waits("uid/main", exitedLate, exitedLate, out _, out _));
        Assert.True(backOff.Waits("other/main", Start, Start, out _, out _));
    }
}
