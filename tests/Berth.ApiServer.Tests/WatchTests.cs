namespace Berth.ApiServer.Tests;

/// <summary>Watch streams: chunked JSON events, resourceVersion semantics, selectors and 410.</summary>
public sealed class WatchTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Watch_FromAResourceVersion_StreamsEveryChangeAfterIt()
    {
        var ns = await server.CreateNamespaceAsync("w");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var (_, list) = await server.SendAsync(HttpMethod.Get, path);
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"a"},"data":{"v":"1"}}""");
        await server.SendAsync(HttpMethod.Patch, $"{path}/a", """{"data":{"v":"2"}}""", "application/merge-patch+json");
        await server.SendAsync(HttpMethod.Delete, $"{path}/a");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=true&resourceVersion={from}", count: 3);

        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("2", events[1]["object"]!["data"]!["v"]!.GetValue<string>());
        Assert.Equal("a", events[2]["object"]!["metadata"]!["name"]!.GetValue<string>());
        var revisions = events.Select(e => long.Parse(e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(revisions.Order(), revisions);
    }

    [Fact]
    public async Task Watch_WithoutAResourceVersion_StartsWithWhatExists()
    {
        var ns = await server.CreateNamespaceAsync("w");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"existing"}}""");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=1", count: 1);

        Assert.Equal("ADDED", events[0]["type"]!.GetValue<string>());
        Assert.Equal("existing", events[0]["object"]!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_WithALabelSelector_SeesObjectsEnterAndLeaveIt()
    {
        var ns = await server.CreateNamespaceAsync("w");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var (_, list) = await server.SendAsync(HttpMethod.Get, path);
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"a"}}""");
        await server.SendAsync(HttpMethod.Patch, $"{path}/a", """{"metadata":{"labels":{"app":"web"}}}""", "application/merge-patch+json");
        await server.SendAsync(HttpMethod.Patch, $"{path}/a", """{"metadata":{"labels":{"app":"db"}}}""", "application/merge-patch+json");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=true&resourceVersion={from}&labelSelector=app%3Dweb", count: 2);

        Assert.Equal(["ADDED", "DELETED"], events.Select(e => e["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Watch_WithBookmarks_TellsAnIdleWatcherTheCurrentResourceVersion()
    {
        var ns = await server.CreateNamespaceAsync("w");
        var (_, list) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps");
        var from = list!["metadata"]!["resourceVersion"]!.GetValue<string>();

        var events = await server.ReadWatchEventsAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion={from}", count: 1);

        Assert.Equal("BOOKMARK", events[0]["type"]!.GetValue<string>());
        Assert.Equal("ConfigMap", events[0]["object"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchList_SendsTheCurrentStateThenAnInitialEventsEndBookmark()
    {
        var ns = await server.CreateNamespaceAsync("w");
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"a"}}""");
        await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"b"}}""");

        var events = await server.ReadWatchEventsAsync($"{path}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true", count: 3);

        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("true", events[2]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
    }
}
