using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Services;
using Berth.Core.Networking;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>The repair pass against a store: keys follow the stored Services, young allocations are left alone.</summary>
public sealed class AllocationRepairTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new("allocation-repair");
    private readonly FakeTimeProvider _time = new(Now);
    private SqliteStore _store = null!;
    private AllocationRepair _repair = null!;

    public Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db") });
        Assert.True(Ipv4Cidr.TryParse("10.43.0.0/16", out var cidr));
        _repair = new AllocationRepair(_store, new ServiceIpAllocator(_store, cidr), new NodePortAllocator(_store, NodePortRange.Default), _time, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Repair_WhenAKeyNamesNoService_ThenItGoesOnceOlderThanAMinute()
    {
        await ClaimAsync(ServiceIpAllocator.Prefix + "10.43.7.7", "gone", "uid-gone", Now - TimeSpan.FromMinutes(5));
        await ClaimAsync(NodePortAllocator.Prefix + "30500", "gone", "uid-gone", Now - TimeSpan.FromMinutes(5));
        await ClaimAsync(ServiceIpAllocator.Prefix + "10.43.7.8", "being-created", "uid-new", Now - TimeSpan.FromSeconds(10));

        var (released, restored) = await _repair.RepairAsync(CancellationToken.None);

        Assert.Equal((2, 0), (released, restored));
        Assert.Null(await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.7.7"));
        Assert.Null(await OwnerAsync(NodePortAllocator.Prefix + "30500"));
        Assert.Equal("uid-new", (await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.7.8"))!.Uid);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal((1, 0), await _repair.RepairAsync(CancellationToken.None));
        Assert.Null(await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.7.8"));
    }

    [Fact]
    public async Task Repair_WhenAServiceHoldsAnAddressAndPortsWithoutKeys_ThenTheKeysAreRestored()
    {
        await StoreServiceAsync("web", "uid-web", """
            {"type":"LoadBalancer","clusterIP":"10.43.9.9","clusterIPs":["10.43.9.9"],"externalTrafficPolicy":"Local","healthCheckNodePort":30999,
             "ports":[{"port":80,"nodePort":30900}]}
            """);
        await StoreServiceAsync("headless", "uid-headless", """{"clusterIP":"None","clusterIPs":["None"],"ports":[{"port":80}]}""");

        var (released, restored) = await _repair.RepairAsync(CancellationToken.None);

        Assert.Equal((0, 3), (released, restored));
        Assert.Equal("uid-web", (await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.9.9"))!.Uid);
        Assert.Equal("uid-web", (await OwnerAsync(NodePortAllocator.Prefix + "30900"))!.Uid);
        Assert.Equal("uid-web", (await OwnerAsync(NodePortAllocator.Prefix + "30999"))!.Uid);
        Assert.Equal(3, await _store.CountAsync("/registry/berth/", CancellationToken.None));
        Assert.Equal((0, 0), await _repair.RepairAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Repair_WhenAnOldKeyNamesAnotherOwnerThanTheHolder_ThenItGoesToTheHolder()
    {
        await StoreServiceAsync("web", "uid-web", """{"clusterIP":"10.43.9.10","clusterIPs":["10.43.9.10"],"ports":[{"port":80}]}""");
        await ClaimAsync(ServiceIpAllocator.Prefix + "10.43.9.10", "old", "uid-old", Now - TimeSpan.FromHours(1));

        Assert.Equal((0, 1), await _repair.RepairAsync(CancellationToken.None));
        Assert.Equal("uid-web", (await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.9.10"))!.Uid);
    }

    [Fact]
    public async Task Repair_WhenTwoServicesHoldOneAddress_ThenOneKeyStaysForOneOfThem()
    {
        await StoreServiceAsync("a", "uid-a", """{"clusterIP":"10.43.9.11","clusterIPs":["10.43.9.11"],"ports":[{"port":80}]}""");
        await StoreServiceAsync("b", "uid-b", """{"clusterIP":"10.43.9.11","clusterIPs":["10.43.9.11"],"ports":[{"port":80}]}""");
        await StoreServiceAsync("outside", "uid-outside", """{"clusterIP":"10.99.0.1","clusterIPs":["10.99.0.1"],"ports":[{"port":80}]}""");

        Assert.Equal((0, 1), await _repair.RepairAsync(CancellationToken.None));
        Assert.Contains((await OwnerAsync(ServiceIpAllocator.Prefix + "10.43.9.11"))!.Uid, new[] { "uid-a", "uid-b" });
        Assert.Equal(1, await _store.CountAsync(ServiceIpAllocator.Prefix, CancellationToken.None));
    }

    private async Task ClaimAsync(string key, string name, string uid, DateTimeOffset allocated) =>
        Assert.True((await _store.CreateAsync(key, new AllocationOwner("default", name, uid, allocated).ToBytes(), 0, CancellationToken.None)).Succeeded);

    private async Task StoreServiceAsync(string name, string uid, string spec)
    {
        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["uid"] = uid },
            ["spec"] = JsonNode.Parse(spec),
        };
        Assert.True((await _store.CreateAsync($"/registry/services/default/{name}", Encoding.UTF8.GetBytes(service.ToJsonString()), 0, CancellationToken.None)).Succeeded);
    }

    private async Task<AllocationOwner?> OwnerAsync(string key) =>
        (await _store.GetAsync(key, 0, CancellationToken.None)).Kv is { } kv ? AllocationOwner.Parse(kv.Value.Span) : null;
}
