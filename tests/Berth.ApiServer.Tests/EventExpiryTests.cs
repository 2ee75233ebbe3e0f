using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>Events expire through store leases, and only events.</summary>
public sealed class EventExpiryTests(ShortEventTtlServerFixture server) : IClassFixture<ShortEventTtlServerFixture>
{
    [Fact]
    public async Task Event_ExpiresAfterItsTtl_WhileOtherObjectsStay()
    {
        var name = "e" + Guid.NewGuid().ToString("N")[..10];
        var (created, _) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/events",
            $$$"""{"metadata":{"name":"{{{name}}}"},"involvedObject":{"kind":"Pod","name":"web","namespace":"default"},"reason":"Started","message":"hi","type":"Normal"}""");
        await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", $$$"""{"metadata":{"name":"{{{name}}}"}}""");
        var stored = await server.Store.GetAsync($"/registry/events/default/{name}", 0, CancellationToken.None);

        Assert.Equal(201, created);
        Assert.NotEqual(0, stored.Kv!.Lease);
        await Eventually.TrueAsync(async () => (await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/default/events/{name}")).Code == 404,
            TimeSpan.FromSeconds(20), "the event to expire");
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/default/configmaps/{name}")).Code);
    }
}
