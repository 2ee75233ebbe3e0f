using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Proxy.Tests;

/// <summary>
/// The service proxy fed by a real <c>berth server</c> process (no node of its own), programming the kernel's
/// nftables in a table of the test's own: Services and EndpointSlices written through the API show in its rules,
/// changes replace them, and the table goes when the proxy stops.
/// </summary>
public sealed class ServiceProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static string Binary => Repository.Binary;

    private readonly string _table = "berth-t" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _serviceCidr = $"10.197.{Random.Shared.Next(256)}.0/24";
    private BerthServerProcess _server = null!;
    private ApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await BerthServerProcess.StartAsync(Binary, "--disable-agent", "--service-cidr", _serviceCidr);
        var tls = Path.Combine(_server.DataDir, "server", "tls");
        _client = ApiClient.Create(_server.Url, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(tls, "ca.crt"))),
            X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key")));
    }

    public async Task DisposeAsync()
    {
        // Whatever the test did, its table goes.
        await ProgramRun.RunAsync("nft", "delete", "table", "ip", _table);
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task RunAsync_WhenEndpointsChangeAndTheServiceGoes_ThenTheRulesFollowAndStoppingRemovesTheTable()
    {
        var ns = "proxy-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        var service = await CreateAsync($"/api/v1/namespaces/{ns}/services", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = 8080 }) },
        });
        var clusterIp = service["spec"]!["clusterIP"]!.GetValue<string>();
        var slicePath = $"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices";
        var slice = await CreateAsync(slicePath, Slice("10.196.0.5", "10.196.0.6"));

        using var stopping = new CancellationTokenSource();
        var proxy = new ServiceProxy(_client, new ServiceProxyOptions(_table, "node-a", "10.196.0.0/16", _serviceCidr, ["127.0.0.1/32"]), NullLoggerFactory.Instance);
        var running = proxy.RunAsync(stopping.Token);
        var chain = $"svc-{ns}/web/tcp/http";
        await Eventually.TrueAsync(async () => (await NftAsync("list", "map", "ip", _table, "service-ips")).Contains($"{clusterIp} . tcp . 80 : goto {chain}", StringComparison.Ordinal),
            Deadline, "the cluster IP in the service map");
        var rules = await NftAsync("list", "chain", "ip", _table, chain);
        Assert.Contains($"ep-{ns}/web/tcp/http/10.196.0.5/8080", rules, StringComparison.Ordinal);
        Assert.Contains($"ep-{ns}/web/tcp/http/10.196.0.6/8080", rules, StringComparison.Ordinal);

        // One endpoint replaced: the service's chain names the new one and not the old.
        var replaced = Slice("10.196.0.5", "10.196.0.7");
        replaced["metadata"]!["resourceVersion"] = slice["metadata"]!["resourceVersion"]!.GetValue<string>();
        (await _client.PutAsync($"{slicePath}/web-1", replaced, CancellationToken.None)).ThrowIfFailed("updating the slice");
        await Eventually.TrueAsync(async () => (await NftAsync("list", "chain", "ip", _table, chain)) is var now
            && now.Contains("/10.196.0.7/8080", StringComparison.Ordinal) && !now.Contains("/10.196.0.6/8080", StringComparison.Ordinal), Deadline, "the new endpoint in the rules");
        Assert.DoesNotContain($"ep-{ns}/web/tcp/http/10.196.0.6/8080", await NftAsync("list", "table", "ip", _table), StringComparison.Ordinal);

        // The Service gone: its address leads nowhere (and is refused by the table's reject for the service CIDR).
        (await _client.DeleteAsync($"/api/v1/namespaces/{ns}/services/web", null, CancellationToken.None)).ThrowIfFailed("deleting the service");
        await Eventually.TrueAsync(async () => !(await NftAsync("list", "table", "ip", _table)).Contains(chain, StringComparison.Ordinal), Deadline, "the service's chains to go");
        Assert.Contains($"ip daddr {_serviceCidr} reject", await NftAsync("list", "chain", "ip", _table, "unserved"), StringComparison.Ordinal);
        Assert.True(proxy.SyncCount >= 3, $"expected a sync per change, saw {proxy.SyncCount}");

        await stopping.CancelAsync();
        await running;
        Assert.NotEqual(0, (await ProgramRun.RunAsync("nft", "list", "table", "ip", _table)).Code);
    }

    private static JsonObject Slice(params string[] addresses) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "web-1", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "web" } },
        ["addressType"] = "IPv4",
        ["endpoints"] = new JsonArray(addresses.Select(a => (JsonNode)new JsonObject { ["addresses"] = new JsonArray(a), ["conditions"] = new JsonObject { ["ready"] = true } }).ToArray()),
        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["protocol"] = "TCP", ["port"] = 8080 }),
    };

    private async Task<JsonNode> CreateAsync(string path, JsonObject body)
    {
        var result = await _client.SendAsync(HttpMethod.Post, path, body, CancellationToken.None);
        result.ThrowIfFailed($"creating {path}");
        return result.Body!;
    }

    private static async Task<string> NftAsync(params string[] arguments) => (await ProgramRun.RunAsync("nft", arguments)).Output;
}
