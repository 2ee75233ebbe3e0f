using System.Text.Json.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;

namespace Berth.Agent.Containerd;

/// <summary>
/// The node's own registry credentials: the <c>auth</c> of registries.yaml's <c>configs</c> (<c>username</c> and
/// <c>password</c>, or <c>auth</c>, base64 of both), keyed by a registry's host or by a mirror's. They serve pulls
/// that the pod's image pull secrets have nothing for, as k3s's do.
/// </summary>
public sealed class RegistryCredentials
{
    public static readonly RegistryCredentials None = new([], []);

    private readonly Dictionary<string, RegistryAuth> _byHost;
    private readonly Dictionary<string, List<string>> _mirrorHosts;

    private RegistryCredentials(Dictionary<string, RegistryAuth> byHost, Dictionary<string, List<string>> mirrorHosts)
    {
        _byHost = byHost;
        _mirrorHosts = mirrorHosts;
    }

    /// <summary>The credentials in the agent's registries.yaml (none when it has none).</summary>
    public static RegistryCredentials Load(string agentDir)
    {
        if (RegistryHosts.Read(agentDir) is not { } parsed)
            return None;
        var byHost = new Dictionary<string, RegistryAuth>(StringComparer.Ordinal);
        foreach (var (host, config) in parsed["configs"] as JsonObject ?? [])
        {
            if (config?["auth"] is JsonObject auth)
                byHost[host] = PullSecrets.Auth(auth, host);
        }
        var mirrorHosts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (registry, mirror) in parsed["mirrors"] as JsonObject ?? [])
        {
            mirrorHosts[registry] = (mirror?["endpoint"] as JsonArray ?? []).Select(e => e?.ToString()).OfType<string>()
                .Select(e => new Uri(e.Contains("://", StringComparison.Ordinal) ? e : "https://" + e).Authority).ToList();
        }
        return new RegistryCredentials(byHost, mirrorHosts);
    }

    /// <summary>The credentials for an image: its registry's, else those of the first of its mirrors that has some.</summary>
    public RegistryAuth? For(string image)
    {
        var registry = PullSecrets.RegistryOf(image);
        if (_byHost.TryGetValue(registry, out var own))
            return own;
        var mirrors = _mirrorHosts.GetValueOrDefault(registry) ?? _mirrorHosts.GetValueOrDefault("*") ?? [];
        return mirrors.Select(m => _byHost.GetValueOrDefault(m)).FirstOrDefault(a => a is not null);
    }
}
