using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Berth.Client;
using Berth.Proxy.Dns;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Proxy.Tests;

/// <summary>
/// Cluster DNS fed by a real <c>berth server</c> process (no node of its own): Services and EndpointSlices written
/// through the API show in its answers, over UDP and TCP on 127.0.0.1, within seconds, and go when deleted.
/// </summary>
public sealed class ClusterDnsTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static string Binary => Repository.Binary;

    private readonly CancellationTokenSource _stopping = new();
    private BerthServerProcess _server = null!;
    private ApiClient _client = null!;
    private ClusterDns _dns = null!;
    private Task _running = Task.CompletedTask;
    private int _port;

    public async Task InitializeAsync()
    {
        _server = await BerthServerProcess.StartAsync(Binary, "--disable-agent");
        var tls = Path.Combine(_server.DataDir, "server", "tls");
        _client = ApiClient.Create(_server.Url, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(tls, "ca.crt"))),
            X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key")));
        _port = FreePort.Next();
        _dns = new ClusterDns(_client, new ClusterDnsOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, _port) }, NullLoggerFactory.Instance);
        _running = _dns.RunAsync(_stopping.Token);
        Assert.Equal(_port, (await _dns.Ready.WaitAsync(Deadline)).Port);
    }

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _running;
        _client.Dispose();
        await _server.DisposeAsync();
        _stopping.Dispose();
    }

    [Fact]
    public async Task RunAsync_WhenServicesAndSlicesComeAndGo_ThenTheAnswersFollow()
    {
        var ns = "dns-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        var web = $"web.{ns}.svc.cluster.local";

        // A Service with the cluster IP it asks for (or, should the server not take one, whatever it was given).
        var address = await CreateServiceAsync(ns, "web", "10.43.77.7");
        await Eventually.TrueAsync(async () => await AnswersAsync(web, TransportProtocol.Udp) is { ReturnCode: ReturnCode.NoError } answer
            && answer.AnswerRecords.OfType<ARecord>().Select(a => a.Address.ToString()).SequenceEqual(address is null ? [] : [address]), Deadline, $"{web} to resolve to {address}");
        Assert.Equal([$"_http._tcp.{web}"], (await AnswersAsync($"_http._tcp.{web}", TransportProtocol.Tcp, RecordType.Srv))!.AnswerRecords.OfType<SrvRecord>().Select(s => s.Name.ToString(false)));

        // A headless Service and a slice of its endpoints, one a StatefulSet pod with its hostname.
        await CreateAsync($"/api/v1/namespaces/{ns}/services", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "db" },
            ["spec"] = new JsonObject { ["clusterIP"] = "None", ["ports"] = new JsonArray(new JsonObject { ["name"] = "pg", ["port"] = 5432 }) },
        });
        await CreateAsync($"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "db-1", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "db" } },
            ["addressType"] = "IPv4",
            ["endpoints"] = new JsonArray(
                new JsonObject { ["addresses"] = new JsonArray("10.42.0.20"), ["hostname"] = "db-0", ["conditions"] = new JsonObject { ["ready"] = true } },
                new JsonObject { ["addresses"] = new JsonArray("10.42.0.21"), ["conditions"] = new JsonObject { ["ready"] = true } }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "pg", ["protocol"] = "TCP", ["port"] = 5432 }),
        });
        await Eventually.TrueAsync(async () => (await AnswersAsync($"db-0.db.{ns}.svc.cluster.local", TransportProtocol.Tcp))?.AnswerRecords.OfType<ARecord>().SingleOrDefault()?.Address.ToString() == "10.42.0.20",
            Deadline, "the StatefulSet pod's name to resolve");
        Assert.Equal(["10.42.0.20", "10.42.0.21"], (await AnswersAsync($"db.{ns}.svc.cluster.local", TransportProtocol.Udp))!.AnswerRecords.OfType<ARecord>().Select(a => a.Address.ToString()).Order());

        // Deleted: NXDOMAIN, with the zone's SOA.
        (await _client.DeleteAsync($"/api/v1/namespaces/{ns}/services/web", null, CancellationToken.None)).ThrowIfFailed("deleting the service");
        await Eventually.TrueAsync(async () => (await AnswersAsync(web, TransportProtocol.Udp))?.ReturnCode == ReturnCode.NxDomain, Deadline, $"{web} to be gone");
        Assert.IsType<SoaRecord>(Assert.Single((await AnswersAsync(web, TransportProtocol.Tcp))!.AuthorityRecords));
        Assert.True(_dns.Queries > 0);
    }

    [Fact]
    public async Task RunAsync_WhenTheNameIsOutsideTheCluster_ThenRefusedAndNothingIsForwarded()
    {
        var answer = await AnswersAsync("example.com", TransportProtocol.Udp);

        Assert.Equal(ReturnCode.Refused, answer?.ReturnCode);
    }

    /// <summary>Creates the Service; returns its cluster IP (the one asked for, or the one it got if the server would not take it; null: none).</summary>
    private async Task<string?> CreateServiceAsync(string ns, string name, string clusterIp)
    {
        JsonObject Service(string? ip)
        {
            var spec = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80 }) };
            if (ip is not null)
                spec["clusterIP"] = ip;
            return new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
        }
        var created = await _client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/services", Service(clusterIp), CancellationToken.None);
        if (!created.Succeeded)
        {
            created = await _client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/services", Service(null), CancellationToken.None);
            created.ThrowIfFailed($"creating service {ns}/{name}");
        }
        return created.Body?["spec"]?["clusterIP"]?.GetValue<string>() is { Length: > 0 } ip && ip != "None" ? ip : null;
    }

    private async Task CreateAsync(string path, JsonObject body) =>
        (await _client.SendAsync(HttpMethod.Post, path, body, CancellationToken.None)).ThrowIfFailed($"creating at {path}");

    private async Task<DnsMessage?> AnswersAsync(string name, TransportProtocol protocol, RecordType type = RecordType.A)
    {
        using var client = new DnsClient([IPAddress.Loopback], [protocol == TransportProtocol.Udp ? new UdpClientTransport(_port) : new TcpClientTransport(_port)],
            disposeTransport: true, queryTimeout: 5000);
        return await client.ResolveAsync(DomainName.Parse(name), type);
    }
}
