using Berth.Storage.Etcd;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Storage;

/// <summary>Opens the store an endpoint names.</summary>
public static class StoreFactory
{
    public static async Task<IStore> OpenAsync(StoreEndpoint endpoint, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        endpoint.Backend switch
        {
            StoreBackend.Sqlite => SqliteStore.Open(new SqliteStoreOptions { Path = endpoint.SqlitePath! }, loggerFactory.CreateLogger<SqliteStore>()),
            StoreBackend.Etcd => await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = endpoint.EtcdEndpoints }, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };
}
