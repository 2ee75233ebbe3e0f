using Berth.ApiServer.Caching;

namespace Berth.ApiServer.Tests;

/// <summary>A server whose watch caches keep only 20 events, so a test can watch from before the window.</summary>
public sealed class SmallWatchWindowServerFixture : ServerFixture
{
    protected override WatchWindowSize WatchCacheWindow => new(20, TimeSpan.Zero, 20);
}
