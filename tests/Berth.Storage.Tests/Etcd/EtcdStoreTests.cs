using System.Text;
using Berth.Storage.Etcd;
using Berth.Testing;

namespace Berth.Storage.Tests.Etcd;

/// <summary>What only the etcd backend has: several endpoints, and a cluster that may not answer.</summary>
public sealed class EtcdStoreTests(EtcdFixture fixture) : IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Open_WhenTheFirstEndpointIsDown_ThenTheNextServes()
    {
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var store = await EtcdStore.OpenAsync(
            new EtcdStoreOptions { Endpoints = [dead, fixture.Etcd.ClientUrl] }, CancellationToken.None);

        var key = $"/registry/failover/{Guid.NewGuid():N}";
        var created = await store.CreateAsync(key, Encoding.UTF8.GetBytes("v"), 0, CancellationToken.None);

        Assert.Equal(WriteStatus.Ok, created.Status);
        Assert.Equal("v", Encoding.UTF8.GetString((await store.GetAsync(key, 0, CancellationToken.None)).Kv!.Value.Span));
    }

    [Fact]
    public async Task Open_WhenNoEndpointAnswers_ThenStoreOpenExceptionNamesThem()
    {
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");

        var error = await Assert.ThrowsAsync<StoreOpenException>(() => EtcdStore.OpenAsync(
            new EtcdStoreOptions { Endpoints = [dead], ConnectTimeout = TimeSpan.FromSeconds(2) }, CancellationToken.None));

        Assert.Contains(dead.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestWatchProgress_WhenAWatchIsQuiet_ThenItHearsTheCurrentRevisionAtOnce()
    {
        await using var etcd = await EtcdProcess.StartAsync(progressInterval: TimeSpan.FromHours(1), CancellationToken.None);
        await using var store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = [etcd.ClientUrl] }, CancellationToken.None);
        await Conformance.ProgressOnRequest.AssertArrivesAsync(store);
    }
}
