using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Events have no watch cache, as upstream: gets, lists, watches and collection deletes read the store, with the
/// same resourceVersion semantics, selectors and 410 as the cached resources.
/// </summary>
public sealed class UncachedEventsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Watch_FromAResourceVersion_StreamsEveryChangeAfterIt()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        var path = $"/api/v1/namespaces/{ns}/events";
        var (_, list) = await server.SendAsync(HttpMethod.Get, path);
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await CreateEventAsync(ns, "a", about: "web");
        await server.SendAsync(HttpMethod.Patch, $"{path}/a", """{"message":"again","count":2}""", "application/merge-patch+json");
        await server.SendAsync(HttpMethod.Delete, $"{path}/a");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=true&resourceVersion={from}", count: 3);

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("again", events[1]["object"]!["message"]!.GetValue<string>());
        Assert.Equal("a", events[2]["object"]!["metadata"]!["name"]!.GetValue<string>());
        var revisions = events.Select(e => long.Parse(e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(revisions.Order(), revisions);
        Assert.True(revisions[0] > long.Parse(from, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Watch_WithoutAResourceVersion_StartsWithWhatExistsThenFollows()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        await CreateEventAsync(ns, "existing", about: "web");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await server.Admin.GetAsync(new Uri($"/api/v1/namespaces/{ns}/events?watch=1", UriKind.Relative),
            HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));

        var first = JsonNode.Parse((await reader.ReadLineAsync(deadline.Token))!)!;
        await CreateEventAsync(ns, "later", about: "web");
        var second = JsonNode.Parse((await reader.ReadLineAsync(deadline.Token))!)!;

        Assert.Equal("ADDED", first["type"]!.GetValue<string>());
        Assert.Equal("existing", first["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("ADDED", second["type"]!.GetValue<string>());
        Assert.Equal("later", second["object"]!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_WithAFieldSelector_SendsOnlyTheEventsAboutThatObject()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        var path = $"/api/v1/namespaces/{ns}/events";
        var (_, list) = await server.SendAsync(HttpMethod.Get, path);
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await CreateEventAsync(ns, "about-db", about: "db");
        await CreateEventAsync(ns, "about-web", about: "web");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=true&resourceVersion={from}&fieldSelector=involvedObject.name%3Dweb", count: 1);

        Assert.Equal("about-web", events[0]["object"]!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_FromACompactedResourceVersion_SendsAn410ErrorEvent()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        var (_, list) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events");
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await CreateEventAsync(ns, "a", about: "web");
        await CreateEventAsync(ns, "b", about: "web");
        await server.Store.CompactAsync((await server.Store.GetStatusAsync(CancellationToken.None)).Revision, CancellationToken.None);

        var events = await server.ReadWatchEventsAsync($"/api/v1/namespaces/{ns}/events?watch=true&resourceVersion={from}", count: 1);

        Assert.Equal("ERROR", events[0]["type"]!.GetValue<string>());
        Assert.Equal(410, events[0]["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", events[0]["object"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchList_SendsTheCurrentStateThenAnInitialEventsEndBookmark()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        await CreateEventAsync(ns, "a", about: "web");
        await CreateEventAsync(ns, "b", about: "web");

        var events = await server.ReadWatchEventsAsync($"/api/v1/namespaces/{ns}/events?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", count: 3);

        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("true", events[2]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetAndList_ReadWhatWasJustWritten_InPagesAndThroughSelectors()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        foreach (var name in new[] { "a", "b", "c" })
            await CreateEventAsync(ns, name, about: name == "b" ? "db" : "web");

        var (got, one) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events/b");
        var (_, first) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events?limit=2");
        var next = first!["metadata"]!["continue"]!.GetValue<string>();
        var (_, second) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events?limit=2&continue={Uri.EscapeDataString(next)}");
        var (_, selected) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dweb");
        var (badVersion, _) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events?resourceVersion=abc");

        Assert.Equal(200, got);
        Assert.Equal("db", one!["involvedObject"]!["name"]!.GetValue<string>());
        Assert.Equal(["a", "b"], Names(first));
        Assert.Equal(["c"], Names(second));
        Assert.Equal(["a", "c"], Names(selected));
        Assert.Equal(400, badVersion);
    }

    [Fact]
    public async Task DeleteCollection_WithAFieldSelector_DeletesOnlyTheSelectedEvents()
    {
        var ns = await server.CreateNamespaceAsync("ev");
        await CreateEventAsync(ns, "about-db", about: "db");
        await CreateEventAsync(ns, "about-web", about: "web");

        var (code, deleted) = await server.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dweb");
        var (_, left) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events");

        Assert.Equal(200, code);
        Assert.Equal(["about-web"], Names(deleted));
        Assert.Equal(["about-db"], Names(left));
    }

    private static List<string> Names(JsonNode? list) =>
        [.. list!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];

    private async Task CreateEventAsync(string ns, string name, string about)
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/events",
            $$$"""{"metadata":{"name":"{{{name}}}"},"involvedObject":{"kind":"Pod","name":"{{{about}}}","namespace":"{{{ns}}}"},"reason":"Started","message":"first","type":"Normal"}""");
        Assert.True(code == 201, body?.ToJsonString());
    }
}
