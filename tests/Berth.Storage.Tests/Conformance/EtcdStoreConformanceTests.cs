using Berth.Storage.Etcd;
using Berth.Storage.Tests.Etcd;

namespace Berth.Storage.Tests.Conformance;

/// <summary>The store contract against a real etcd member, which is killed with SIGKILL to test restarts.</summary>
public sealed class EtcdStoreConformanceTests(EtcdFixture fixture) : StoreConformanceTests, IClassFixture<EtcdFixture>
{
    protected override async Task<IStoreHarness> CreateHarnessAsync() => new Harness(fixture, await OpenAsync(fixture));

    private static Task<EtcdStore> OpenAsync(EtcdFixture fixture) =>
        EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = [fixture.Etcd.ClientUrl] }, CancellationToken.None);

    private sealed class Harness(EtcdFixture fixture, EtcdStore store) : IStoreHarness
    {
        public IStore Store => store;

        public async Task RestartAsync()
        {
            await store.DisposeAsync();
            await fixture.Etcd.KillAsync();
            await fixture.Etcd.StartAsync(CancellationToken.None);
            store = await OpenAsync(fixture);
        }

        public ValueTask DisposeAsync() => store.DisposeAsync();
    }
}
