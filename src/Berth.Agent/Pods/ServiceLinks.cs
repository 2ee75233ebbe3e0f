using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Client;

namespace Berth.Agent.Pods;

/// <summary>
/// Upstream's service links: the Docker-link-style variables of every Service of the pod's namespace that has a
/// cluster IP (unless the pod sets <c>enableServiceLinks: false</c>), and always of the API server's own
/// <c>kubernetes</c> Service in <c>default</c>: <c>{NAME}_SERVICE_HOST</c>, <c>{NAME}_SERVICE_PORT</c> (the first
/// port), <c>{NAME}_SERVICE_PORT_{PORT NAME}</c>, <c>{NAME}_PORT=tcp://ip:port</c> and, per port,
/// <c>{NAME}_PORT_{port}_{PROTOCOL}</c> with its <c>_PROTO</c>, <c>_PORT</c> and <c>_ADDR</c>.
/// </summary>
internal static class ServiceLinks
{
    public static async Task<Dictionary<string, string>> ForAsync(ApiClient client, JsonObject pod, CancellationToken cancellationToken)
    {
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var services = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var master = await client.GetAsync("/api/v1/namespaces/default/services/kubernetes", cancellationToken);
        if (master.Succeeded && master.Body is JsonObject kubernetes && HasClusterIp(kubernetes))
            services["kubernetes"] = kubernetes;
        if (pod["spec"]?["enableServiceLinks"]?.GetValue<bool>() != false)
        {
            var listed = await client.GetAsync($"/api/v1/namespaces/{ns}/services", cancellationToken);
            listed.ThrowIfFailed($"listing the services of {ns} for service links");
            foreach (var service in (listed.Body?["items"] as JsonArray ?? []).OfType<JsonObject>().Where(HasClusterIp))
                services[service["metadata"]!["name"]!.GetValue<string>()] = service;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, service) in services)
        {
            foreach (var (key, value) in Variables(name, service))
                variables[key] = value;
        }
        return variables;
    }

    private static IEnumerable<KeyValuePair<string, string>> Variables(string serviceName, JsonObject service)
    {
        var name = VariableName(serviceName);
        var ip = service["spec"]!["clusterIP"]!.GetValue<string>();
        var ports = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        yield return new(name + "_SERVICE_HOST", ip);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i]["port"]?.GetValue<int>().ToString(CultureInfo.InvariantCulture) ?? "";
            var protocol = ports[i]["protocol"]?.ToString() ?? "TCP";
            var url = $"{protocol.ToLowerInvariant()}://{ip}:{port}";
            if (i == 0)
            {
                yield return new(name + "_SERVICE_PORT", port);
                yield return new(name + "_PORT", url);
            }
            if (ports[i]["name"]?.ToString() is { Length: > 0 } portName)
                yield return new($"{name}_SERVICE_PORT_{VariableName(portName)}", port);
            var prefix = $"{name}_PORT_{port}_{protocol.ToUpperInvariant()}";
            yield return new(prefix, url);
            yield return new(prefix + "_PROTO", protocol.ToLowerInvariant());
            yield return new(prefix + "_PORT", port);
            yield return new(prefix + "_ADDR", ip);
        }
    }

    private static bool HasClusterIp(JsonObject service) => service["spec"]?["clusterIP"]?.ToString() is { Length: > 0 } ip && ip != "None";

    private static string VariableName(string name) => name.ToUpperInvariant().Replace('-', '_');
}
