using System.Security.Cryptography.X509Certificates;
using Berth.ApiServer;
using Berth.Client;
using Berth.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Testing.InProcess;

/// <summary>
/// An API server in the test process on a random loopback port over HTTPS, with SQLite in a temp directory (watch
/// progress every 500 ms, so bookmarks come quickly), and the real kubectl pointed at it. Fixtures start their nodes,
/// scheduler or controllers as its clients (<see cref="Client"/>, disposed with it) and stop them before disposing it.
/// </summary>
public sealed class LocalApiServer : IAsyncDisposable
{
    private readonly List<ApiClient> _clients = [];

    private LocalApiServer(TempDirectory directory, SqliteStore store, ApiServerHost host)
    {
        Directory = directory;
        Store = store;
        Host = host;
        Kubectl = new Kubectl(host.KubeconfigPath, directory.File("kube-cache"));
    }

    /// <summary>The server's data directory (its TLS material and tokens are in <c>server/</c>).</summary>
    public TempDirectory Directory { get; }

    public SqliteStore Store { get; }

    public ApiServerHost Host { get; }

    public Uri Url => Host.Url;

    public Kubectl Kubectl { get; }

    /// <summary>Starts one; <paramref name="configure"/> changes the server's options (a small watch cache window, say).</summary>
    public static async Task<LocalApiServer> StartAsync(string purpose, Func<ApiServerOptions, ApiServerOptions>? configure = null)
    {
        var directory = new TempDirectory(purpose);
        var store = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        var options = new ApiServerOptions { DataDir = directory.Path, HttpsPort = 0 };
        var host = await ApiServerHost.StartAsync(configure?.Invoke(options) ?? options, store, NullLoggerFactory.Instance, CancellationToken.None);
        return new LocalApiServer(directory, store, host);
    }

    /// <summary>A client of the API authenticated by <paramref name="certificate"/> (a node's, the controller manager's).</summary>
    public ApiClient Client(X509Certificate2 certificate)
    {
        var client = ApiClient.Create(Host.Url, Host.CertificateAuthority, certificate);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await Host.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Dispose();
    }
}
