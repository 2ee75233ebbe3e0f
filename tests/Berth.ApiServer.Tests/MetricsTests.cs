namespace Berth.ApiServer.Tests;

public sealed class MetricsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Metrics_CountRequestsAndTheirLatenciesPerVerbAndResource()
    {
        await server.SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/default/replicasets");
        await server.SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/default/replicasets/missing");

        var text = await server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains("apiserver_request_total{verb=\"LIST\",group=\"apps\",resource=\"replicasets\",subresource=\"\",code=\"200\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_total{verb=\"GET\",group=\"apps\",resource=\"replicasets\",subresource=\"\",code=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_duration_seconds_count{verb=\"LIST\",group=\"apps\",resource=\"replicasets\",subresource=\"\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE apiserver_request_duration_seconds histogram", text, StringComparison.Ordinal);
    }
}
