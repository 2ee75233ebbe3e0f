using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Core.Serialization;
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
    public async Task<Dictionary<string, string>> ForAsync(JsonObject pod, CancellationToken cancellationToken)
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
            var metadata = JsonFields.Object(service, "metadata");
            var spec = JsonFields.Object(service, "spec");
            return new LinkedService(JsonFields.String(metadata, "namespace") ?? "", JsonFields.String(metadata, "name") ?? "",
                JsonFields.String(spec, "clusterIP") ?? "",
                [.. JsonFields.Objects(spec, "ports").Select(p => new LinkedPort(
                    JsonFields.String(p, "name") ?? "", JsonFields.Int(p, "port"), JsonFields.String(p, "protocol") is { Length: > 0 } protocol ? protocol : "TCP"))]);
        }
    }

    private sealed record LinkedPort(string Name, int? Port, string Protocol);
}
