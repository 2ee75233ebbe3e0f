using System.Text.Json;

namespace Berth.Testing;

/// <summary>How many of a server's nodes are Ready, for benches that wait for hollow nodes.</summary>
public static class ReadyNodes
{
    /// <summary>
    /// Nodes whose Ready condition is True; with <paramref name="settled"/>, only those that also carry none of the
    /// taints the node lifecycle controller keeps in step with conditions (<c>node.kubernetes.io/...</c>): a node
    /// is Ready a moment before its not-ready taint is gone, and a scheduler bench wants every node open.
    /// </summary>
    public static async Task<int> CountAsync(HttpClient client, bool settled = false)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/nodes", UriKind.Relative)));
        return document.RootElement.GetProperty("items").EnumerateArray().Count(node =>
            node.GetProperty("status").TryGetProperty("conditions", out var conditions) &&
            conditions.EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True") &&
            (!settled || !HasConditionTaint(node)));
    }

    private static bool HasConditionTaint(JsonElement node) =>
        node.GetProperty("spec").TryGetProperty("taints", out var taints) &&
        taints.EnumerateArray().Any(t => t.GetProperty("key").GetString()?.StartsWith("node.kubernetes.io/", StringComparison.Ordinal) == true);
}
