using Berth.Testing;

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

    [Fact]
    public async Task Metrics_CountTheWatchesOpenWhileTheyAre()
    {
        const string Gauge = "apiserver_longrunning_requests{verb=\"WATCH\",group=\"\",resource=\"podtemplates\",subresource=\"\"} ";
        using var watching = new CancellationTokenSource();
        using var response = await server.Admin.GetAsync(new Uri("/api/v1/podtemplates?watch=1", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, watching.Token);

        await Eventually.TrueAsync(async () => (await MetricsAsync()).Contains(Gauge + "1\n", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "one watch counted open");
        await watching.CancelAsync();
        response.Dispose();
        await Eventually.TrueAsync(async () => (await MetricsAsync()).Contains(Gauge + "0\n", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the watch counted closed");
        Assert.Contains("# TYPE apiserver_longrunning_requests gauge", await MetricsAsync(), StringComparison.Ordinal);
    }

    private Task<string> MetricsAsync() => server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
}
