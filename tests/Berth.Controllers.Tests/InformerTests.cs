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

    [Fact]
    public async Task RunAsync_WhenItsReaderLeavesObjectsOut_ThenTheyAreNotKeptAndOneThatLeavesIsToldAsDeleted()
    {
        var ns = "informer-" + Guid.NewGuid().ToString("N")[..8];
        (await cluster.Admin.PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } })).EnsureSuccessStatusCode();
        await CreateConfigMapAsync(ns, "kept", keep: true);
        await CreateConfigMapAsync(ns, "left-out", keep: false);
        // A reader that selects as a field selector would: only the config maps marked to keep.
        var informer = new Informer<string>(cluster.ControllerClient, new ApiResource("", "v1", "ConfigMap", "configmaps", true, ["list", "watch"]),
            e => e.GetProperty("metadata").GetProperty("namespace").GetString() == ns && e.TryGetProperty("data", out var data) && data.TryGetProperty("keep", out _)
                ? e.GetProperty("metadata").GetProperty("name").GetString()
                : null,
            NullLogger<Informer<string>>.Instance);
        var told = new List<(string?, string?)>();
        informer.OnChange((old, now) => { lock (told) told.Add((old, now)); });
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);

        await informer.Synced.WaitAsync(Deadline);
        Assert.Contains("kept", informer.Items());
        Assert.DoesNotContain("left-out", informer.Items());
        (await cluster.Admin.PutAsJsonAsync($"/api/v1/namespaces/{ns}/configmaps/kept", ConfigMap("kept", keep: false))).EnsureSuccessStatusCode();
        (await cluster.Admin.PutAsJsonAsync($"/api/v1/namespaces/{ns}/configmaps/left-out", ConfigMap("left-out", keep: true))).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(() => informer.Items().Contains("left-out"), Deadline, "the object its reader now keeps");
        Assert.DoesNotContain("kept", informer.Items());
        // Subscribers are told after the copy changes, from the informer's own loop.
        bool Told((string?, string?) change)
        {
            lock (told)
                return told.Contains(change);
        }
        await Eventually.TrueAsync(() => Told(("kept", null)) && Told((null, "left-out")), Deadline, "the subscriber to be told of both");
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_WhenInformersOfOneResourceRunOnOneClient_ThenOneWatchServesThemAllAndALateOneStartsFromAList()
    {
        // Events: nothing else in the control plane watches them, so the server's count of open watches is ours alone.
        var ns = "informer-" + Guid.NewGuid().ToString("N")[..8];
        (await cluster.Admin.PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } })).EnsureSuccessStatusCode();
        await CreateEventAsync(ns, "before");
        using var client = cluster.NewControllerClient();
        var informers = Enumerable.Range(0, 3).Select(_ => EventInformer(client, ns)).ToList();
        var told = new List<string>();
        informers[0].OnChange((_, now) => { lock (told) told.Add(now ?? "(deleted)"); });
        using var stop = new CancellationTokenSource();
        var running = informers.Select(i => i.RunAsync(stop.Token)).ToList();

        await Task.WhenAll(informers.Select(i => i.Synced)).WaitAsync(Deadline);
        await CreateEventAsync(ns, "after");
        await Eventually.TrueAsync(() => informers.All(i => i.Items().Contains("after")), Deadline, "the change in every informer");
        var late = EventInformer(client, ns);
        running.Add(late.RunAsync(stop.Token));
        await late.Synced.WaitAsync(Deadline);
        await CreateEventAsync(ns, "last");
        await Eventually.TrueAsync(() => { lock (told) return told.Contains("last"); }, Deadline, "the last change told");
        await Eventually.TrueAsync(() => late.Items().Contains("last"), Deadline, "the last change in the late one");

        Assert.Equal(["after", "before", "last"], late.Items().Order());
        // The list the late one started from told the others nothing: nothing in it had changed.
        lock (told)
            Assert.Equal(["before", "after", "last"], told);
        await Eventually.TrueAsync(async () => await OpenEventWatchesAsync() == 1, Deadline, "one watch open for four informers");
        await stop.CancelAsync();
        await Task.WhenAll(running);
        await Eventually.TrueAsync(async () => await OpenEventWatchesAsync() == 0, Deadline, "the watch closed with the last informer");
    }

    private static Informer<string> EventInformer(Client.ApiClient client, string ns) =>
        new(client, new ApiResource("", "v1", "Event", "events", true, ["list", "watch"]), e => e.GetProperty("metadata").GetProperty("name").GetString()!,
            NullLogger<Informer<string>>.Instance, $"metadata.namespace={ns}");

    /// <summary>The watches of events the server has open (its <c>apiserver_longrunning_requests</c> gauge).</summary>
    private async Task<long> OpenEventWatchesAsync()
    {
        const string Gauge = "apiserver_longrunning_requests{verb=\"WATCH\",group=\"\",resource=\"events\",subresource=\"\"} ";
        var metrics = await cluster.Admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return metrics.Split('\n').FirstOrDefault(l => l.StartsWith(Gauge, StringComparison.Ordinal)) is { } line ? long.Parse(line[Gauge.Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    private async Task CreateEventAsync(string ns, string name) =>
        (await cluster.Admin.PostAsJsonAsync($"/api/v1/namespaces/{ns}/events", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = "somewhere" },
            ["reason"] = "Tested",
            ["message"] = "an informer test",
            ["type"] = "Normal",
        })).EnsureSuccessStatusCode();

    private async Task CreateConfigMapAsync(string ns, string name, bool keep = false) =>
        (await cluster.Admin.PostAsJsonAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap(name, keep))).EnsureSuccessStatusCode();

    private static JsonObject ConfigMap(string name, bool keep) => keep
        ? new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["keep"] = "yes" } }
        : new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } };
}
