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

    [Fact]
    public async Task Metrics_ReportTheProcessCpuMemoryAndGarbageCollections()
    {
        var text = await MetricsAsync();

        Assert.Matches(@"(?m)^process_cpu_seconds_total [0-9.]+(E[-+][0-9]+)?$", text);
        Assert.Matches(@"(?m)^process_resident_memory_bytes [1-9][0-9]*$", text);
        Assert.Matches(@"(?m)^dotnet_gc_allocated_bytes_total [1-9][0-9]*$", text);
        Assert.Matches(@"(?m)^dotnet_gc_pause_seconds_total [0-9.]+(E[-+][0-9]+)?$", text);
        for (var generation = 0; generation <= 2; generation++)
            Assert.Matches($@"(?m)^dotnet_collection_count_total{{generation=""{generation}""}} [0-9]+$", text);
        Assert.Contains("# TYPE dotnet_collection_count_total counter", text, StringComparison.Ordinal);
    }

    private Task<string> MetricsAsync() => server.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
}
