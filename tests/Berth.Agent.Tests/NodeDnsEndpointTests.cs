using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Berth.Agent.Network;
using Berth.Client;

namespace Berth.Agent.Tests;

/// <summary>A node's DNS server published as its endpoint of kube-system/kube-dns, against a real API server.</summary>
public sealed class NodeDnsEndpointTests(JoinClusterFixture cluster) : IClassFixture<JoinClusterFixture>
{
    [Fact]
    public async Task PublishAsync_WhenNothingChanged_ThenNothingIsWritten_AndADeletedSliceComesBack()
    {
        var node = "dns-" + Guid.NewGuid().ToString("N")[..8];
        using var client = AdminClient();
        var created = await client.SendAsync(HttpMethod.Post, "/api/v1/nodes", new JsonObject { ["metadata"] = new JsonObject { ["name"] = node } }, CancellationToken.None);
        created.ThrowIfFailed("creating the node");
        var path = $"/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/kube-dns-{node}";

        await NodeDnsEndpoint.PublishAsync(client, node, "10.42.7.1", 53, CancellationToken.None);
        var first = (await client.GetAsync(path, CancellationToken.None)).Body!;
        await NodeDnsEndpoint.PublishAsync(client, node, "10.42.7.1", 53, CancellationToken.None);
        var second = (await client.GetAsync(path, CancellationToken.None)).Body!;
        (await client.DeleteAsync(path, null, CancellationToken.None)).ThrowIfFailed("deleting the slice");
        await NodeDnsEndpoint.PublishAsync(client, node, "10.42.7.1", 53, CancellationToken.None);
        var again = (await client.GetAsync(path, CancellationToken.None)).Body!;

        Assert.Equal("kube-dns", first["metadata"]!["labels"]!["kubernetes.io/service-name"]!.GetValue<string>());
        Assert.Equal(created.Body!["metadata"]!["uid"]!.GetValue<string>(), first["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());
        Assert.Equal("10.42.7.1", first["endpoints"]![0]!["addresses"]![0]!.GetValue<string>());
        Assert.Equal(node, first["endpoints"]![0]!["nodeName"]!.GetValue<string>());
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), second["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.NotEqual(first["metadata"]!["uid"]!.GetValue<string>(), again["metadata"]!["uid"]!.GetValue<string>());
        (await client.DeleteAsync($"/api/v1/nodes/{node}", null, CancellationToken.None)).ThrowIfFailed("deleting the node");
        (await client.DeleteAsync(path, null, CancellationToken.None)).ThrowIfFailed("deleting the slice", goneIsFine: true);
    }

    private ApiClient AdminClient()
    {
        var tls = Path.Combine(cluster.Server.DataDir, "server", "tls");
        return ApiClient.Create(cluster.Server.Url, X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(tls, "ca.crt"))),
            X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key")));
    }
}
