using Berth.Controllers.PodGc;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>The pod garbage collector, run with short periods beside the control plane's own.</summary>
public sealed class PodGarbageCollectorTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Collector_WhenAPodsNodeStaysMissing_ThenDeletesThePod()
    {
        var ns = await NamespaceAsync();
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/pods",
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"stranded"},"spec":{"nodeName":"ghost-node","containers":[{"name":"a","image":"x"}]}}""");
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/pods",
            """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"waiting"},"spec":{"containers":[{"name":"a","image":"x"}]}}""");

        await RunCollectorAsync(new PodGcOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), 12_500), async () =>
            (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/stranded")).Code == 404, "the stranded pod to go");

        Assert.Equal(200, (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/waiting")).Code);
    }

    [Fact]
    public async Task Collector_WhenMoreFinishedPodsThanTheThreshold_ThenDeletesTheSurplus()
    {
        var ns = await NamespaceAsync();
        foreach (var name in new[] { "done-1", "done-2", "done-3" })
        {
            await cluster.CreateAsync($"/api/v1/namespaces/{ns}/pods",
                $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"a","image":"x"}]}}""");
            var finished = await cluster.ControllerClient.MergePatchAsync($"/api/v1/namespaces/{ns}/pods/{name}/status",
                new System.Text.Json.Nodes.JsonObject { ["status"] = new System.Text.Json.Nodes.JsonObject { ["phase"] = "Succeeded" } }, CancellationToken.None);
            Assert.True(finished.Succeeded, finished.Message);
        }

        await RunCollectorAsync(new PodGcOptions(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40), 1), async () =>
        {
            var (_, list) = await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods");
            return list!["items"]!.AsArray().Count == 1;
        }, "one finished pod to remain");
    }

    private async Task RunCollectorAsync(PodGcOptions options, Func<Task<bool>> done, string what)
    {
        using var stop = new CancellationTokenSource();
        var collector = new PodGarbageCollector(cluster.ControllerClient, NullLoggerFactory.Instance, TimeProvider.System, options).RunAsync(stop.Token);
        try
        {
            await Eventually.TrueAsync(done, Deadline, what);
        }
        finally
        {
            await stop.CancelAsync();
            await collector;
        }
    }

    private async Task<string> NamespaceAsync()
    {
        var ns = "gc-" + Guid.NewGuid().ToString("N")[..10];
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        return ns;
    }
}
