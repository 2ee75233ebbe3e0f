using System.Text.Json;

namespace Berth.Testing;

/// <summary>How many of a server's nodes are Ready, for benches that wait for hollow nodes.</summary>
public static class ReadyNodes
{
    /// <summary>Nodes whose Ready condition is True.</summary>
    public static async Task<int> CountAsync(HttpClient client)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/nodes", UriKind.Relative)));
        return document.RootElement.GetProperty("items").EnumerateArray().Count(node =>
            node.GetProperty("status").TryGetProperty("conditions", out var conditions) &&
            conditions.EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True"));
    }
}
