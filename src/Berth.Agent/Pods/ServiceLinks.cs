using System.Globalization;
using System.Text.Json;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Pods;

/// <summary>
/// Upstream's service links: the Docker-link-style variables of every Service of the pod's namespace that has a
/// cluster IP (unless the pod sets <c>enableServiceLinks: false</c>), and always of the API server's own
/// <c>kubernetes</c> Service in <c>default</c>: <c>{NAME}_SERVICE_HOST</c>, <c>{NAME}_SERVICE_PORT</c> (the first
/// port), <c>{NAME}_SERVICE_PORT_{PORT NAME}</c>, <c>{NAME}_PORT=tcp://ip:port</c> and, per port,
/// <c>{NAME}_PORT_{port}_{PROTOCOL}</c> with its <c>_PROTO</c>, <c>_PORT</c> and <c>_ADDR</c>. The Services come
/// from a watch, as upstream's kubelet has them from its Service lister, not from a list per container started
/// (hollow nodes share one watch).
/// </summary>
public sealed class ServiceLinks
{
    private static readonly ApiResource Services = new("", "v1", "Service", "services", Namespaced: true, ["get", "list", "watch"]);
    private const string ByNamespace = "namespace";

    private readonly Informer<LinkedService> _informer;

    public ServiceLinks(ApiClient client, ILoggerFactory loggers)
    {
        _informer = new Informer<LinkedService>(client, Services, LinkedService.Read, loggers.CreateLogger<Informer<LinkedService>>());
        _informer.AddIndex(ByNamespace, s => [s.Namespace]);
    }

    public Task RunAsync(CancellationToken cancellationToken) => _informer.RunAsync(cancellationToken);

    /// <summary>The variables for a container of <paramref name="pod"/>, once the Services have been listed.</summary>
    public async Task<Dictionary<string, string>> ForAsync(System.Text.Json.Nodes.JsonObject pod, CancellationToken cancellationToken)
    {
        await _informer.Synced.WaitAsync(cancellationToken);
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var services = new SortedDictionary<string, LinkedService>(StringComparer.Ordinal);
        if (_informer.Get("default", "kubernetes") is { HasClusterIp: true } kubernetes)
            services["kubernetes"] = kubernetes;
        if (pod["spec"]?["enableServiceLinks"]?.GetValue<bool>() != false)
        {
            foreach (var service in _informer.ByIndex(ByNamespace, ns).Where(s => s.HasClusterIp))
                services[service.Name] = service;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, service) in services)
        {
            foreach (var (key, value) in Variables(name, service))
                variables[key] = value;
        }
        return variables;
    }

    private static IEnumerable<KeyValuePair<string, string>> Variables(string serviceName, LinkedService service)
    {
        var name = VariableName(serviceName);
        var ip = service.ClusterIp;
        var ports = service.Ports;
        yield return new(name + "_SERVICE_HOST", ip);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i].Port?.ToString(CultureInfo.InvariantCulture) ?? "";
            var protocol = ports[i].Protocol;
            var url = $"{protocol.ToLowerInvariant()}://{ip}:{port}";
            if (i == 0)
            {
                yield return new(name + "_SERVICE_PORT", port);
                yield return new(name + "_PORT", url);
            }
            if (ports[i].Name is { Length: > 0 } portName)
                yield return new($"{name}_SERVICE_PORT_{VariableName(portName)}", port);
            var prefix = $"{name}_PORT_{port}_{protocol.ToUpperInvariant()}";
            yield return new(prefix, url);
            yield return new(prefix + "_PROTO", protocol.ToLowerInvariant());
            yield return new(prefix + "_PORT", port);
            yield return new(prefix + "_ADDR", ip);
        }
    }

    private static string VariableName(string name) => name.ToUpperInvariant().Replace('-', '_');

    /// <summary>What links are made of: a Service's name, cluster IP and ports.</summary>
    private sealed record LinkedService(string Namespace, string Name, string ClusterIp, IReadOnlyList<LinkedPort> Ports)
    {
        public bool HasClusterIp => ClusterIp.Length > 0 && ClusterIp != "None";

        public static LinkedService Read(JsonElement service)
        {
            var metadata = service.GetProperty("metadata");
            var spec = service.TryGetProperty("spec", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            var ports = new List<LinkedPort>();
            if (spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("ports", out var listed) && listed.ValueKind == JsonValueKind.Array)
            {
                foreach (var port in listed.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object))
                {
                    ports.Add(new LinkedPort(
                        Text(port, "name"),
                        port.TryGetProperty("port", out var number) && number.TryGetInt32(out var n) ? n : null,
                        Text(port, "protocol") is { Length: > 0 } protocol ? protocol : "TCP"));
                }
            }
            return new LinkedService(Text(metadata, "namespace"), Text(metadata, "name"),
                spec.ValueKind == JsonValueKind.Object ? Text(spec, "clusterIP") : "", ports);
        }

        private static string Text(JsonElement obj, string name) =>
            obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
    }

    private sealed record LinkedPort(string Name, int? Port, string Protocol);
}
