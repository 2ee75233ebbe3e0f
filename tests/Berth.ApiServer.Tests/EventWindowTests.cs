using Berth.ApiServer.Caching;
using Microsoft.Extensions.Time.Testing;

namespace Berth.ApiServer.Tests;

public sealed class EventWindowTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Add_BeyondTheMinimumWhileEventsAreFresh_KeepsThemAll()
    {
        var window = new EventWindow(new WatchWindowSize(3, TimeSpan.FromSeconds(75), 100), _clock);

        AddRevisions(window, 1, 10);

        Assert.Equal(0, window.OldestRevision);
        Assert.Equal(Enumerable.Range(1, 10).Select(r => (long)r), window.After(0).Select(e => e.Revision));
    }

    [Fact]
    public void Add_WhenEventsAreOlderThanTheFreshness_DropsThemDownToTheMinimum()
    {
        var window = new EventWindow(new WatchWindowSize(3, TimeSpan.FromSeconds(75), 100), _clock);
        AddRevisions(window, 1, 10);
        _clock.Advance(TimeSpan.FromSeconds(76));

        AddRevisions(window, 11, 11);

        // The minimum is kept however old: 9 and 10 stay beside the new 11.
        Assert.Equal(8, window.OldestRevision);
        Assert.Equal([9L, 10, 11], window.After(0).Select(e => e.Revision));
    }

    [Fact]
    public void Add_BeyondTheMaximum_DropsTheOldestEvenWhenFresh()
    {
        var window = new EventWindow(new WatchWindowSize(3, TimeSpan.FromSeconds(75), 5), _clock);

        AddRevisions(window, 1, 8);

        Assert.Equal(3, window.OldestRevision);
        Assert.Equal([6L, 7, 8], window.After(5).Select(e => e.Revision));
    }

    [Fact]
    public void Reset_ForgetsEveryEventAndStartsAtTheRevision()
    {
        var window = new EventWindow(WatchWindowSize.Default, _clock);
        AddRevisions(window, 1, 4);

        window.Reset(40);

        Assert.Equal(40, window.OldestRevision);
        Assert.Empty(window.After(0));
    }

    private static void AddRevisions(EventWindow window, long from, long to)
    {
        for (var revision = from; revision <= to; revision++)
            window.Add(new CacheEvent(CacheEventType.Progress, revision, null, null));
    }
}
