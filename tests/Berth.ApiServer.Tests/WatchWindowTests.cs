namespace Berth.ApiServer.Tests;

/// <summary>Watches that start before the watch cache's window get the 410 that makes clients list again.</summary>
public sealed class WatchWindowTests(SmallWatchWindowServerFixture server) : IClassFixture<SmallWatchWindowServerFixture>
{
    [Fact]
    public async Task Watch_FromBeforeTheCachesWindow_SendsAn410ErrorEvent()
    {
        var path = "/api/v1/namespaces/default/configmaps";
        var (_, created) = await server.SendAsync(HttpMethod.Post, path, """{"metadata":{"name":"first"}}""");
        var old = created!["metadata"]!["resourceVersion"]!.GetValue<string>();
        for (var i = 0; i < 30; i++)
            await server.SendAsync(HttpMethod.Patch, $"{path}/first", $$$"""{"data":{"i":"{{{i}}}"}}""", "application/merge-patch+json");
        // A list that must see the last write waits for the cache to have it.
        await server.SendAsync(HttpMethod.Get, path);

        using var response = await server.Admin.GetAsync(new Uri($"{path}?watch=true&resourceVersion={old}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var e = System.Text.Json.Nodes.JsonNode.Parse(line!)!;

        Assert.Equal("ERROR", e["type"]!.GetValue<string>());
        Assert.Equal(410, e["object"]!["code"]!.GetValue<int>());
        Assert.StartsWith($"too old resource version: {old} (", e["object"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
