using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;
using Berth.Core.Networking;

namespace Berth.Controllers.Endpoints;

/// <summary>
/// Keeps what stands behind each Service with a selector, as upstream's endpoints and endpointslice controllers do:
/// an Endpoints object of the Service's name (ready addresses, notReadyAddresses, grouped by the ports they resolve
/// to) and EndpointSlices labelled <c>kubernetes.io/service-name</c> (at most 100 endpoints each, with ready, serving
/// and terminating conditions), owned by the Service. Target ports resolve by number or by the pod's named container
/// port; <c>publishNotReadyAddresses</c> counts every pod as ready; a pod's hostname is published when its subdomain
/// is the Service's name. Every change of a pod or Service is written within the next pass of the queue.
/// </summary>
public sealed class EndpointsController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
{
    private const int Workers = 5;
    private const int MaxEndpointsPerSlice = 100;
    private const string ByNamespace = "namespace";
    private const string ByService = "service";
    private const string ManagedBy = "endpointslice-controller.k8s.io";

    private static readonly ApiResource Services = new("", "v1", "Service", "services", true, ["list", "watch"]);
    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", true, ["list", "watch"]);
    private static readonly ApiResource EndpointsResource = new("", "v1", "Endpoints", "endpoints", true, ["list", "watch"]);
    private static readonly ApiResource Slices = new("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, ["list", "watch"]);
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", false, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<EndpointsController>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var services = new Informer<JsonObject>(client, Services, Parse, loggerFactory.CreateLogger<Informer<JsonObject>>());
        services.AddIndex(ByNamespace, s => [s["metadata"]!["namespace"]!.ToString()]);
        var pods = new Informer<EndpointPod>(client, Pods, EndpointPod.Read, loggerFactory.CreateLogger<Informer<EndpointPod>>());
        pods.AddIndex(ByNamespace, p => [p.Namespace]);
        var endpoints = new Informer<JsonObject>(client, EndpointsResource, Parse, loggerFactory.CreateLogger<Informer<JsonObject>>());
        var slices = new Informer<JsonObject>(client, Slices, Parse, loggerFactory.CreateLogger<Informer<JsonObject>>());
        var nodes = new Informer<NodeZone>(client, Nodes, NodeZone.Read, loggerFactory.CreateLogger<Informer<NodeZone>>());
        slices.AddIndex(ByService, s => s["metadata"]?["labels"]?[EndpointSliceLabels.ManagedBy]?.ToString() == ManagedBy && s["metadata"]?["labels"]?[EndpointSliceLabels.ServiceName] is { } service
            ? [$"{s["metadata"]!["namespace"]}/{service}"]
            : []);

        using var queue = new WorkQueue<string>(time);
        services.OnChange((old, now) => queue.Add(Key(now ?? old!)));
        pods.OnChange((old, now) =>
        {
            var pod = now ?? old!;
            foreach (var service in services.ByIndex(ByNamespace, pod.Namespace))
            {
                if ((old is not null && Selects(service, old)) || (now is not null && Selects(service, now)))
                    queue.Add(Key(service));
            }
        });
        endpoints.OnChange((old, now) => queue.Add(Key(now ?? old!)));
        nodes.OnChange((old, now) =>
        {
            // A node moved to another zone (rare): every slice may name it.
            if (old is not null && now is not null && old.Zone != now.Zone)
            {
                foreach (var service in services.Items())
                    queue.Add(Key(service));
            }
        });
        slices.OnChange((old, now) =>
        {
            if ((now ?? old)!["metadata"]?["labels"]?[EndpointSliceLabels.ServiceName] is { } service)
                queue.Add($"{(now ?? old)!["metadata"]!["namespace"]}/{service}");
        });

        var watching = Task.WhenAll(services.RunAsync(cancellationToken), pods.RunAsync(cancellationToken), endpoints.RunAsync(cancellationToken),
            slices.RunAsync(cancellationToken), nodes.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(services.Synced, pods.Synced, endpoints.Synced, slices.Synced, nodes.Synced).WaitAsync(cancellationToken);
            string? ZoneOf(string node) => nodes.Get(null, node)?.Zone;
            await queue.RunAsync(Workers, (key, ct) => ReconcileAsync(key, services, pods, endpoints, slices, ZoneOf, ct), _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(string key, Informer<JsonObject> services, Informer<EndpointPod> pods, Informer<JsonObject> endpoints,
        Informer<JsonObject> slices, Func<string, string?> zoneOf, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var service = services.Get(ns, name);
        var existing = endpoints.Get(ns, name);
        if (service is null)
        {
            // The Service's slices go with it (they are owned); its Endpoints object is not, so it goes here.
            if (existing is not null)
                (await client.DeleteAsync($"/api/v1/namespaces/{ns}/endpoints/{name}", null, cancellationToken)).ThrowIfFailed($"deleting endpoints {key}", goneIsFine: true);
            return ReconcileResult.Done;
        }
        if (service["spec"]?["selector"] is not JsonObject { Count: > 0 } || service["spec"]?["type"]?.ToString() == "ExternalName")
            return ReconcileResult.Done;

        var backends = Backends(service, pods.ByIndex(ByNamespace, ns));
        await WriteEndpointsAsync(service, existing, backends, cancellationToken);
        await WriteSlicesAsync(service, slices.ByIndex(ByService, key), backends, zoneOf, cancellationToken);
        return ReconcileResult.Done;
    }

    /// <summary>Each selected pod with an address, with the ports the Service's ports resolve to on it (pods resolving none left out).</summary>
    private static List<Backend> Backends(JsonObject service, IEnumerable<EndpointPod> pods)
    {
        var publishNotReady = service["spec"]?["publishNotReadyAddresses"]?.GetValue<bool>() == true;
        var servicePorts = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var backends = new List<Backend>();
        foreach (var pod in pods.Where(p => Selects(service, p) && p.Ip.Length > 0 && !p.Finished).OrderBy(p => p.Ip, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            var ports = new List<(string Name, int Port, string Protocol)>();
            foreach (var port in servicePorts)
            {
                var protocol = port["protocol"]?.ToString() ?? "TCP";
                if (pod.Resolve(port["targetPort"], port["port"]?.GetValue<int>() ?? 0, protocol) is { } resolved)
                    ports.Add((port["name"]?.ToString() ?? "", resolved, protocol));
            }
            if (ports.Count == 0 && servicePorts.Count > 0)
                continue;
            backends.Add(new Backend(pod, ports, publishNotReady || pod.Ready));
        }
        return backends;
    }

    private async Task WriteEndpointsAsync(JsonObject service, JsonObject? existing, List<Backend> backends, CancellationToken cancellationToken)
    {
        var name = service["metadata"]!["name"]!.ToString();
        var publishNotReady = service["spec"]?["publishNotReadyAddresses"]?.GetValue<bool>() == true;
        var subsets = new JsonArray();
        foreach (var group in backends.Where(b => !b.Pod.Terminating || publishNotReady)
                     .GroupBy(b => PortsKey(b.Ports), StringComparer.Ordinal))
        {
            var subset = new JsonObject();
            var ready = new JsonArray([.. group.Where(b => b.Ready).Select(b => Address(service, b.Pod))]);
            var notReady = new JsonArray([.. group.Where(b => !b.Ready).Select(b => Address(service, b.Pod))]);
            if (ready.Count > 0)
                subset["addresses"] = ready;
            if (notReady.Count > 0)
                subset["notReadyAddresses"] = notReady;
            subset["ports"] = new JsonArray([.. group.First().Ports.Select(p => Port(p, omitEmptyName: true))]);
            subsets.Add((JsonNode)subset);
        }
        var labels = (service["metadata"]?["labels"] as JsonObject)?.DeepClone();
        if (existing is not null && JsonNode.DeepEquals(existing["subsets"] ?? new JsonArray(), subsets) && JsonNode.DeepEquals(existing["metadata"]?["labels"], labels))
            return;
        var ns = service["metadata"]!["namespace"]!.ToString();
        var endpoints = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
        };
        if (subsets.Count > 0)
            endpoints["subsets"] = subsets;
        ApiResult result;
        if (existing is null)
        {
            result = await client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/endpoints", endpoints, cancellationToken);
        }
        else
        {
            endpoints["metadata"]!["resourceVersion"] = existing["metadata"]?["resourceVersion"]?.DeepClone();
            result = await client.PutAsync($"/api/v1/namespaces/{ns}/endpoints/{name}", endpoints, cancellationToken);
        }
        // A conflict means the informer is behind: its next event brings the key back.
        if (!result.IsConflict)
            result.ThrowIfFailed($"writing endpoints {ns}/{name}");
    }

    /// <summary>
    /// The slices the backends need (by port set, 100 endpoints each; one empty slice when there are none), written
    /// over the existing ones in order, extra ones created or deleted.
    /// </summary>
    private async Task WriteSlicesAsync(JsonObject service, List<JsonObject> existing, List<Backend> backends, Func<string, string?> zoneOf,
        CancellationToken cancellationToken)
    {
        var wanted = backends.GroupBy(b => PortsKey(b.Ports), StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(MaxEndpointsPerSlice).Select(chunk => (Ports: chunk[0].Ports, Endpoints: chunk)))
            .Select(s => (Ports: new JsonArray([.. s.Ports.Select(p => Port(p, omitEmptyName: false))]), Endpoints: new JsonArray([.. s.Endpoints.Select(b => Endpoint(service, b, zoneOf))])))
            .ToList();
        if (wanted.Count == 0)
            wanted.Add((new JsonArray(), new JsonArray()));
        var ns = service["metadata"]!["namespace"]!.ToString();
        var ordered = existing.OrderBy(s => s["metadata"]!["name"]!.ToString(), StringComparer.Ordinal).ToList();
        for (var i = 0; i < wanted.Count; i++)
        {
            var (ports, endpoints) = wanted[i];
            var slice = Slice(service, ports, endpoints);
            if (i < ordered.Count)
            {
                var current = ordered[i];
                if (JsonNode.DeepEquals(current["ports"] ?? new JsonArray(), ports) && JsonNode.DeepEquals(current["endpoints"] ?? new JsonArray(), endpoints))
                    continue;
                slice["metadata"]!["name"] = current["metadata"]!["name"]!.DeepClone();
                slice["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]?.DeepClone();
                slice["metadata"]!.AsObject().Remove("generateName");
                var updated = await client.PutAsync($"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{current["metadata"]!["name"]}", slice, cancellationToken);
                if (!updated.IsConflict)
                    updated.ThrowIfFailed($"updating endpoint slice {ns}/{current["metadata"]!["name"]}", goneIsFine: true);
                continue;
            }
            (await client.SendAsync(HttpMethod.Post, $"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", slice, cancellationToken))
                .ThrowIfFailed($"creating an endpoint slice for {ns}/{service["metadata"]!["name"]}");
        }
        foreach (var extra in ordered.Skip(wanted.Count))
        {
            (await client.DeleteAsync($"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{extra["metadata"]!["name"]}", null, cancellationToken))
                .ThrowIfFailed($"deleting endpoint slice {ns}/{extra["metadata"]!["name"]}", goneIsFine: true);
        }
    }

    private static JsonObject Slice(JsonObject service, JsonArray ports, JsonArray endpoints)
    {
        var metadata = service["metadata"]!;
        var labels = (metadata["labels"] as JsonObject)?.DeepClone().AsObject() ?? [];
        labels[EndpointSliceLabels.ServiceName] = metadata["name"]!.DeepClone();
        labels[EndpointSliceLabels.ManagedBy] = ManagedBy;
        return new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["generateName"] = $"{metadata["name"]}-",
                ["namespace"] = metadata["namespace"]!.DeepClone(),
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Service",
                    ["name"] = metadata["name"]!.DeepClone(),
                    ["uid"] = metadata["uid"]!.DeepClone(),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["addressType"] = "IPv4",
            ["endpoints"] = endpoints,
            ["ports"] = ports,
        };
    }

    /// <summary>One endpoint of a slice, with its topology: the node it runs on and that node's zone, if it has one.</summary>
    private static JsonObject Endpoint(JsonObject service, Backend backend, Func<string, string?> zoneOf)
    {
        var endpoint = new JsonObject
        {
            ["addresses"] = new JsonArray(backend.Pod.Ip),
            ["conditions"] = new JsonObject
            {
                ["ready"] = backend.Ready && !backend.Pod.Terminating,
                ["serving"] = backend.Ready,
                ["terminating"] = backend.Pod.Terminating,
            },
        };
        if (Hostname(service, backend.Pod) is { } hostname)
            endpoint["hostname"] = hostname;
        endpoint["targetRef"] = TargetRef(backend.Pod);
        if (backend.Pod.NodeName.Length > 0)
        {
            endpoint["nodeName"] = backend.Pod.NodeName;
            if (zoneOf(backend.Pod.NodeName) is { Length: > 0 } zone)
                endpoint["zone"] = zone;
        }
        return endpoint;
    }

    private static JsonObject Address(JsonObject service, EndpointPod pod)
    {
        var address = new JsonObject { ["ip"] = pod.Ip };
        if (Hostname(service, pod) is { } hostname)
            address["hostname"] = hostname;
        if (pod.NodeName.Length > 0)
            address["nodeName"] = pod.NodeName;
        address["targetRef"] = TargetRef(pod);
        return address;
    }

    /// <summary>A pod's hostname is published for the Service its subdomain names.</summary>
    private static string? Hostname(JsonObject service, EndpointPod pod) =>
        pod.Hostname.Length > 0 && pod.Subdomain == service["metadata"]!["name"]!.ToString() ? pod.Hostname : null;

    private static JsonObject TargetRef(EndpointPod pod) => new()
    {
        ["kind"] = "Pod",
        ["namespace"] = pod.Namespace,
        ["name"] = pod.Name,
        ["uid"] = pod.Uid,
    };

    private static JsonObject Port((string Name, int Port, string Protocol) port, bool omitEmptyName)
    {
        var result = new JsonObject();
        if (port.Name.Length > 0 || !omitEmptyName)
            result["name"] = port.Name;
        result["port"] = port.Port;
        result["protocol"] = port.Protocol;
        return result;
    }

    private static string PortsKey(IEnumerable<(string Name, int Port, string Protocol)> ports) => string.Join(',', ports.Select(p => $"{p.Name}:{p.Port}/{p.Protocol}"));

    /// <summary>Whether the Service's selector (a map: every label equal) selects the pod.</summary>
    private static bool Selects(JsonObject service, EndpointPod pod) =>
        service["spec"]?["selector"] is JsonObject { Count: > 0 } selector
        && selector.All(l => pod.Labels.TryGetValue(l.Key, out var value) && value == l.Value?.ToString());

    private static JsonObject Parse(JsonElement element) => JsonNode.Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))!.AsObject();

    private static string Key(JsonObject obj) => $"{obj["metadata"]!["namespace"]}/{obj["metadata"]!["name"]}";

    private sealed record Backend(EndpointPod Pod, List<(string Name, int Port, string Protocol)> Ports, bool Ready);
}
