using Berth.ApiServer.Services;
using Berth.Core.Networking;
using Berth.Storage.Sqlite;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>The allocators against a store: every item once, the low band last, nothing when full, releases only by the holder.</summary>
public sealed class ServiceAllocatorTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("service-allocators");
    private SqliteStore _store = null!;

    public Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db") });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task AllocateNext_WhenASmallNetworkFills_ThenEachAddressOnceButNetworkAndBroadcastThenNone()
    {
        Assert.True(Ipv4Cidr.TryParse("10.50.0.0/28", out var cidr));
        var ips = new ServiceIpAllocator(_store, cidr);

        var allocated = new List<string>();
        for (var i = 0; i < 14; i++)
            allocated.Add((await ips.AllocateNextAsync(Owner(i), dryRun: false, CancellationToken.None))!);
        var full = await ips.AllocateNextAsync(Owner(99), dryRun: false, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 14).Select(i => $"10.50.0.{i}").Order(), allocated.Order());
        Assert.Null(full);
    }

    [Fact]
    public async Task AllocateNext_TakesFromAboveTheLowBandUntilItIsFull()
    {
        var ports = new NodePortAllocator(_store, new NodePortRange(30000, 20));

        var allocated = new List<long>();
        for (var i = 0; i < 20; i++)
            allocated.Add((await ports.AllocateNextAsync(Owner(i), dryRun: false, CancellationToken.None))!.Value);

        // 20 ports: the low band is the first 16, so random allocation hands out 30016-30019 first.
        Assert.Equal([30016, 30017, 30018, 30019], allocated.Take(4).Order());
        Assert.Equal(Enumerable.Range(30000, 20).Select(p => (long)p), allocated.Order());
        Assert.Null(await ports.AllocateNextAsync(Owner(99), dryRun: false, CancellationToken.None));
    }

    [Fact]
    public async Task Release_WhenAnotherServiceHoldsTheItem_ThenItStays()
    {
        Assert.True(Ipv4Cidr.TryParse("10.43.0.0/16", out var cidr));
        var ips = new ServiceIpAllocator(_store, cidr);
        Assert.Null(await ips.AllocateAsync("10.43.0.40", Owner(1), dryRun: false, CancellationToken.None));

        await ips.ReleaseAsync("10.43.0.40", Owner(2).Uid, CancellationToken.None);
        var again = await ips.AllocateAsync("10.43.0.40", Owner(2), dryRun: false, CancellationToken.None);
        var byHolder = await ips.AllocateAsync("10.43.0.40", Owner(1), dryRun: false, CancellationToken.None);
        await ips.ReleaseAsync("10.43.0.40", Owner(1).Uid, CancellationToken.None);
        var afterRelease = await ips.AllocateAsync("10.43.0.40", Owner(2), dryRun: true, CancellationToken.None);

        Assert.Equal("provided IP is already allocated", again);
        Assert.Null(byHolder);
        Assert.Null(afterRelease);
        Assert.Equal(0, await _store.CountAsync(ServiceIpAllocator.Prefix, CancellationToken.None));
    }

    private static AllocationOwner Owner(int i) => new("default", $"svc-{i}", $"uid-{i}", DateTimeOffset.UtcNow);
}
