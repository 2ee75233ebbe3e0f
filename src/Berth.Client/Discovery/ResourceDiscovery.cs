using System.Text.Json.Nodes;

namespace Berth.Client.Discovery;

/// <summary>
/// Finds every resource the API server serves (core v1 and each group's preferred version), as a controller that
/// must handle all kinds (garbage collector, namespace deletion) needs, custom resources included.
/// </summary>
public static class ResourceDiscovery
{
    public static async Task<IReadOnlyList<ApiResource>> DiscoverAsync(ApiClient client, CancellationToken cancellationToken)
    {
        var resources = new List<ApiResource>();
        resources.AddRange(await GroupVersionAsync(client, "", "v1", cancellationToken));
        var groups = await client.GetAsync("/apis", cancellationToken);
        if (!groups.Succeeded)
            throw new InvalidOperationException($"discovery of /apis failed: {groups.Message}");
        foreach (var group in groups.Body!["groups"]?.AsArray() ?? [])
        {
            var name = group!["name"]!.GetValue<string>();
            var version = group["preferredVersion"]?["version"]?.GetValue<string>();
            if (version is not null)
                resources.AddRange(await GroupVersionAsync(client, name, version, cancellationToken));
        }
        return resources;
    }

    private static async Task<IEnumerable<ApiResource>> GroupVersionAsync(ApiClient client, string group, string version, CancellationToken cancellationToken)
    {
        var path = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
        var list = await client.GetAsync(path, cancellationToken);
        if (!list.Succeeded)
            throw new InvalidOperationException($"discovery of {path} failed: {list.Message}");
        return (list.Body!["resources"]?.AsArray() ?? [])
            .Select(r => r!.AsObject())
            .Where(r => !r["name"]!.GetValue<string>().Contains('/', StringComparison.Ordinal))
            .Select(r => new ApiResource(group, version, r["kind"]!.GetValue<string>(), r["name"]!.GetValue<string>(),
                r["namespaced"]?.GetValue<bool>() ?? false,
                [.. (r["verbs"] as JsonArray ?? []).Select(v => v!.GetValue<string>())]))
            .ToList();
    }
}
