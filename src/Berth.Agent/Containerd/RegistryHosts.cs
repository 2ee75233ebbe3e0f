using System.Text;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.Agent.Containerd;

/// <summary>
/// Registry mirrors and TLS settings from <c>&lt;data-dir&gt;/agent/registries.yaml</c> in k3s's format (<c>mirrors</c>:
/// registry → <c>endpoint</c> list, <c>"*"</c> for every registry; <c>configs</c>: host → <c>tls</c> with
/// <c>insecure_skip_verify</c>, <c>ca_file</c>, <c>cert_file</c>, <c>key_file</c>; their <c>auth</c> is
/// <see cref="RegistryCredentials"/>'), written as containerd's
/// <c>certs.d/&lt;registry&gt;/hosts.toml</c>: the mirrors in order, then the registry itself.
/// </summary>
public static class RegistryHosts
{
    public const string FileName = "registries.yaml";

    /// <summary>Writes <paramref name="certsDir"/> from the agent's registries.yaml (emptied when there is none).</summary>
    public static void Write(string agentDir, string certsDir)
    {
        if (Directory.Exists(certsDir))
            Directory.Delete(certsDir, recursive: true);
        Directory.CreateDirectory(certsDir);
        if (Read(agentDir) is not { } parsed)
            return;
        var mirrors = parsed?["mirrors"] as JsonObject ?? [];
        var configs = parsed?["configs"] as JsonObject ?? [];
        foreach (var registry in mirrors.Select(m => m.Key).Concat(configs.Select(c => c.Key)).Distinct(StringComparer.Ordinal))
        {
            var endpoints = (mirrors[registry]?["endpoint"] as JsonArray ?? []).Select(e => e?.ToString()).OfType<string>().ToList();
            var text = Render(registry, endpoints, configs);
            var dir = Path.Combine(certsDir, registry == "*" ? "_default" : registry);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "hosts.toml"), text);
        }
    }

    /// <summary>The agent's registries.yaml, or null when it has none.</summary>
    public static JsonNode? Read(string agentDir)
    {
        var path = Path.Combine(agentDir, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return YamlToJson.Convert(File.ReadAllText(path));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidOperationException($"{path} is not valid YAML: {e.Message}");
        }
    }

    private static string Render(string registry, List<string> endpoints, JsonObject configs)
    {
        var text = new StringBuilder();
        if (registry != "*")
            text.AppendLine($"server = {Quote(Upstream(registry))}");
        foreach (var endpoint in endpoints)
        {
            var url = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "https://" + endpoint;
            text.AppendLine($"[host.{Quote(url.TrimEnd('/'))}]");
            text.AppendLine("  capabilities = [\"pull\", \"resolve\"]");
            Tls(text, configs[new Uri(url).Authority] as JsonObject);
        }
        if (registry != "*" && endpoints.Count == 0)
        {
            // Only TLS settings for the registry itself.
            text.AppendLine($"[host.{Quote(Upstream(registry))}]");
            text.AppendLine("  capabilities = [\"pull\", \"resolve\"]");
            Tls(text, configs[registry] as JsonObject);
        }
        return text.ToString();
    }

    private static void Tls(StringBuilder text, JsonObject? config)
    {
        var tls = config?["tls"];
        if (tls?["insecure_skip_verify"]?.GetValue<bool>() == true)
            text.AppendLine("  skip_verify = true");
        if (tls?["ca_file"]?.ToString() is { Length: > 0 } ca)
            text.AppendLine($"  ca = {Quote(ca)}");
        if (tls?["cert_file"]?.ToString() is { Length: > 0 } cert && tls["key_file"]?.ToString() is { Length: > 0 } key)
            text.AppendLine($"  client = [[{Quote(cert)}, {Quote(key)}]]");
    }

    /// <summary>The registry's own address, which containerd falls back to after the mirrors (Docker Hub's is registry-1.docker.io).</summary>
    private static string Upstream(string registry) => registry == "docker.io" ? "https://registry-1.docker.io" : "https://" + registry;

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
