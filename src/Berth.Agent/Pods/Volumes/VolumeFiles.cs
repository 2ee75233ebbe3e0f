using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Client;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// The files of the volumes made from API data: <c>configMap</c>, <c>secret</c>, <c>downwardAPI</c> and <c>projected</c>
/// (of those three and service-account tokens), with <c>items</c> picking keys and paths, <c>defaultMode</c> and per-item modes, and <c>optional</c>
/// sources, as upstream builds them. A source that is missing and not optional fails the volume with upstream's message.
/// </summary>
internal sealed class VolumeFiles(ApiClient client, ContainerEnvironment fields, ServiceAccountTokens tokens)
{
    private const int DefaultMode = 420; // 0644

    public async Task<List<VolumeFile>> ConfigMapAsync(JsonObject source, string ns, int defaultMode, CancellationToken cancellationToken)
    {
        var name = source["name"]?.ToString() ?? "";
        var found = await ReadAsync("configmaps", ns, name, cancellationToken);
        if (found is null)
            return Optional(source) ? [] : throw new VolumeException($"configmap \"{name}\" not found");
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in found["data"] as JsonObject ?? [])
            data[key] = Encoding.UTF8.GetBytes(value?.ToString() ?? "");
        foreach (var (key, value) in found["binaryData"] as JsonObject ?? [])
            data[key] = Convert.FromBase64String(value?.ToString() ?? "");
        return Items(source, data, defaultMode, "configmap references non-existent config key");
    }

    public async Task<List<VolumeFile>> SecretAsync(JsonObject source, string nameField, string ns, int defaultMode, CancellationToken cancellationToken)
    {
        var name = source[nameField]?.ToString() ?? "";
        var found = await ReadAsync("secrets", ns, name, cancellationToken);
        if (found is null)
            return Optional(source) ? [] : throw new VolumeException($"secret \"{name}\" not found");
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in found["data"] as JsonObject ?? [])
            data[key] = Convert.FromBase64String(value?.ToString() ?? "");
        return Items(source, data, defaultMode, "references non-existent secret key");
    }

    public async Task<List<VolumeFile>> DownwardApiAsync(JsonObject source, JsonObject pod, int defaultMode, CancellationToken cancellationToken)
    {
        var files = new List<VolumeFile>();
        foreach (var item in (source["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            string text;
            if (item["fieldRef"]?["fieldPath"]?.ToString() is { } path)
            {
                text = path switch
                {
                    "metadata.labels" => Pairs(pod["metadata"]?["labels"] as JsonObject),
                    "metadata.annotations" => Pairs(pod["metadata"]?["annotations"] as JsonObject),
                    _ => fields.FieldValue(path, pod, null) ?? throw new VolumeException($"unsupported fieldPath: {path}"),
                };
            }
            else if (item["resourceFieldRef"] is JsonObject resource)
            {
                var container = ContainerSpec.Of(pod["spec"] as JsonObject ?? []).FirstOrDefault(c => c.Name == resource["containerName"]?.ToString())?.Source
                    ?? throw new VolumeException($"container {resource["containerName"]} not found for resourceFieldRef");
                text = await fields.ResourceValueAsync(resource, pod, container, cancellationToken);
            }
            else
            {
                continue;
            }
            files.Add(new VolumeFile(item["path"]?.ToString() ?? "", Encoding.UTF8.GetBytes(text), Mode(item["mode"], defaultMode)));
        }
        return files;
    }

    public async Task<List<VolumeFile>> ProjectedAsync(JsonObject projected, JsonObject pod, CancellationToken cancellationToken)
    {
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var defaultMode = Mode(projected["defaultMode"], DefaultMode);
        var files = new List<VolumeFile>();
        foreach (var source in (projected["sources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (source["configMap"] is JsonObject map)
                files.AddRange(await ConfigMapAsync(map, ns, defaultMode, cancellationToken));
            else if (source["secret"] is JsonObject secret)
                files.AddRange(await SecretAsync(secret, "name", ns, defaultMode, cancellationToken));
            else if (source["downwardAPI"] is JsonObject downward)
                files.AddRange(await DownwardApiAsync(downward, pod, defaultMode, cancellationToken));
            else if (source["serviceAccountToken"] is JsonObject token)
                files.Add(new VolumeFile(token["path"]?.ToString() ?? "token", await tokens.TokenAsync(token, pod, cancellationToken), defaultMode));
            else
                throw new VolumeException($"projected source {string.Join(", ", source.Select(s => s.Key))} is not supported yet");
        }
        return files;
    }

    /// <summary>Forgets what was fetched for a pod that is gone.</summary>
    public void Forget(string uid) => tokens.Forget(uid);

    public static int Mode(JsonNode? mode, int fallback) => mode is JsonValue value && value.TryGetValue<int>(out var bits) ? bits : fallback;

    private static bool Optional(JsonObject source) => source["optional"]?.GetValue<bool>() == true;

    /// <summary>Every key as a file of its own, or only the items, each at its path.</summary>
    private static List<VolumeFile> Items(JsonObject source, Dictionary<string, byte[]> data, int defaultMode, string missingKey)
    {
        if (source["items"] is not JsonArray { Count: > 0 } items)
            return [.. data.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new VolumeFile(d.Key, d.Value, defaultMode))];
        var files = new List<VolumeFile>();
        foreach (var item in items.OfType<JsonObject>())
        {
            var key = item["key"]?.ToString() ?? "";
            if (!data.TryGetValue(key, out var content))
            {
                if (Optional(source))
                    continue;
                throw new VolumeException($"{missingKey}: {key}");
            }
            files.Add(new VolumeFile(item["path"]?.ToString() ?? key, content, Mode(item["mode"], defaultMode)));
        }
        return files;
    }

    /// <summary>Labels or annotations as the downward API writes them: <c>key="value"</c> lines, sorted.</summary>
    private static string Pairs(JsonObject? map) =>
        string.Join("\n", (map ?? []).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}=\"{p.Value?.ToString().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"")));

    private async Task<JsonNode?> ReadAsync(string plural, string ns, string name, CancellationToken cancellationToken)
    {
        var found = await client.GetAsync($"/api/v1/namespaces/{ns}/{plural}/{name}", cancellationToken);
        if (found.IsNotFound)
            return null;
        found.ThrowIfFailed($"reading {plural} {ns}/{name}");
        return found.Body;
    }
}

/// <summary>A volume cannot be set up (its source is missing, say): the pod waits, with a FailedMount event.</summary>
internal sealed class VolumeException(string message) : Exception(message);
