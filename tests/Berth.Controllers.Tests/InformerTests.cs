using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>The shared informer against a real API server.</summary>
public sealed class InformerTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RunAsync_WhenItsReaderCannotReadAnObject_ThenThatObjectIsSkippedAndTheOthersStillArrive()
    {
        var ns = "informer-" + Guid.NewGuid().ToString("N")[..8];
        (await cluster.Admin.PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } })).EnsureSuccessStatusCode();
        await CreateConfigMapAsync(ns, "odd-before");
        await CreateConfigMapAsync(ns, "fine-before");
        // A reader that fails on some objects, as one does when a field is not of the kind it expects.
        var informer = new Informer<string>(cluster.ControllerClient, new ApiResource("", "v1", "ConfigMap", "configmaps", true, ["list", "watch"]),
            e => e.GetProperty("metadata").GetProperty("name").GetString() is { } name && name.StartsWith("odd", StringComparison.Ordinal)
                ? throw new InvalidOperationException("unreadable")
                : $"{e.GetProperty("metadata").GetProperty("namespace").GetString()}/{e.GetProperty("metadata").GetProperty("name").GetString()}",
            NullLogger<Informer<string>>.Instance);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.Synced.WaitAsync(Deadline);
        Assert.Contains($"{ns}/fine-before", informer.Items());
        await CreateConfigMapAsync(ns, "odd-after");
        await CreateConfigMapAsync(ns, "fine-after");
        await Eventually.TrueAsync(() => informer.Items().Contains($"{ns}/fine-after"), Deadline, "the object after the unreadable one");
        Assert.DoesNotContain(informer.Items(), i => i.Contains("odd", StringComparison.Ordinal));

        await stop.CancelAsync();
        await running;
    }

    private async Task CreateConfigMapAsync(string ns, string name) =>
        (await cluster.Admin.PostAsJsonAsync($"/api/v1/namespaces/{ns}/configmaps", new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }))
            .EnsureSuccessStatusCode();
}
