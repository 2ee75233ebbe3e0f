using System.Text;
using System.Text.Json.Nodes;
using Berth.Agent.Runtime;
using Berth.Client;

namespace Berth.Agent.Pods;

/// <summary>
/// The registry credentials a pod's <c>imagePullSecrets</c> hold for an image's registry, as upstream's kubelet finds
/// them: Secrets of type <c>kubernetes.io/dockerconfigjson</c> (<c>.dockerconfigjson</c>'s <c>auths</c>) or
/// <c>kubernetes.io/dockercfg</c>, entries matched by registry host (with or without a scheme and path; Docker Hub's
/// under its old index address too). Missing Secrets are skipped, as upstream does.
/// </summary>
public static class PullSecrets
{
    private const string DockerHub = "docker.io";

    public static async Task<List<RegistryAuth>> ForAsync(ApiClient client, JsonObject pod, string image, CancellationToken cancellationToken)
    {
        var found = new List<RegistryAuth>();
        var names = (pod["spec"]?["imagePullSecrets"] as JsonArray ?? []).Select(s => s?["name"]?.ToString()).OfType<string>().ToList();
        if (names.Count == 0)
            return found;
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var registry = RegistryOf(image);
        foreach (var name in names)
        {
            var secret = await client.GetAsync($"/api/v1/namespaces/{ns}/secrets/{name}", cancellationToken);
            if (!secret.Succeeded)
                continue;
            var data = secret.Body?["data"];
            var auths = data?[".dockerconfigjson"] is { } config ? Decode(config)?["auths"] as JsonObject
                : data?[".dockercfg"] is { } legacy ? Decode(legacy) as JsonObject
                : null;
            foreach (var (server, entry) in auths ?? [])
            {
                if (entry is JsonObject credentials && HostOf(server) == registry)
                    found.Add(Auth(credentials, server));
            }
        }
        return found;
    }

    /// <summary>The registry host an image reference names: its first part if that looks like a host, else Docker Hub.</summary>
    public static string RegistryOf(string image)
    {
        var slash = image.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
            return DockerHub;
        var first = image[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost"
            ? first is "index.docker.io" or "registry-1.docker.io" ? DockerHub : first
            : DockerHub;
    }

    /// <summary>A credentials key as a registry host: <c>https://127.0.0.1:5000/v2/</c> is <c>127.0.0.1:5000</c>.</summary>
    private static string HostOf(string server)
    {
        var host = server;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            host = host[(scheme + 3)..];
        host = host.Split('/')[0];
        return host is "index.docker.io" or "registry-1.docker.io" ? DockerHub : host;
    }

    /// <summary>Credentials from a Docker config entry or a registries.yaml <c>auth</c> (the same keys).</summary>
    public static RegistryAuth Auth(JsonObject entry, string server)
    {
        var (username, password) = (entry["username"]?.ToString() ?? "", entry["password"]?.ToString() ?? "");
        var auth = entry["auth"]?.ToString() ?? "";
        // "auth" is base64 of "user:password"; either form may be all there is.
        if (username.Length == 0 && auth.Length > 0 && Decode(auth).Split(':', 2) is [var user, var pass])
            (username, password) = (user, pass);
        return new RegistryAuth(username, password, auth, HostOf(server));
    }

    private static string Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static JsonNode? Decode(JsonNode value)
    {
        try
        {
            return JsonNode.Parse(Convert.FromBase64String(value.ToString()));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
