using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Client.Events;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>The event recorder against a real API server: writes in flight together, and each event's writes in order.</summary>
public sealed class EventRecorderTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Record_ABurstAboutManyObjectsWithRepeats_ThenEachObjectHasOneEventCountingAllItsRepeats()
    {
        var ns = "recorder-" + Guid.NewGuid().ToString("N")[..8];
        (await cluster.Admin.PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } })).EnsureSuccessStatusCode();
        var recorder = new EventRecorder(cluster.ControllerClient, "test-recorder", TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = recorder.RunAsync(stop.Token);

        // Each object's repeats follow its first occurrence at once, and go out while its create is still in flight: a
        // repeat's count must reach the server after the create, not race it.
        const int Objects = 40;
        const int Repeats = 4;
        for (var i = 0; i < Objects; i++)
        {
            for (var round = 0; round < Repeats; round++)
                recorder.Record("v1", "Pod", new JsonObject { ["namespace"] = ns, ["name"] = $"pod-{i}", ["uid"] = $"uid-{i}" }, "Normal", "Pulled", "image present");
        }

        await Eventually.TrueAsync(async () => (await CountsAsync(ns)) is { Count: Objects } counts && counts.Values.All(c => c == Repeats), Deadline,
            $"one event for each of {Objects} pods, counting {Repeats}");
        Assert.All((await CountsAsync(ns)).Keys, pod => Assert.StartsWith("pod-", pod, StringComparison.Ordinal));
        await stop.CancelAsync();
        await running;
    }

    /// <summary>The events in <paramref name="ns"/>: for each involved pod, the count of its one event (0 when it has more than one).</summary>
    private async Task<Dictionary<string, int>> CountsAsync(string ns)
    {
        var list = await cluster.Admin.GetFromJsonAsync<JsonObject>($"/api/v1/namespaces/{ns}/events");
        return list!["items"]!.AsArray().GroupBy(e => e!["involvedObject"]!["name"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Count() == 1 ? g.Single()!["count"]!.GetValue<int>() : 0);
    }
}
