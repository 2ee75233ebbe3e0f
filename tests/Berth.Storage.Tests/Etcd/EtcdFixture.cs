using Berth.Testing;

namespace Berth.Storage.Tests.Etcd;

/// <summary>One real etcd for a test class; its tests run one after another and each uses its own prefix.</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdProcess? _etcd;

    public EtcdProcess Etcd => _etcd ?? throw new InvalidOperationException("etcd has not started");

    public async Task InitializeAsync() =>
        _etcd = await EtcdProcess.StartAsync(progressInterval: TimeSpan.FromMilliseconds(200), CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
            await _etcd.DisposeAsync();
    }
}
