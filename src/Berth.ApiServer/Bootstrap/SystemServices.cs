using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.ApiServer.Services;
using Berth.Core.Resources;
using Berth.Core.Serialization;
using Berth.Storage;
using Microsoft.Extensions.Logging;
using Berth.Core.Networking;

namespace Berth.ApiServer.Bootstrap;

/// <summary>
/// The Services every cluster has, created when missing: <c>default/kubernetes</c> at the service network's first
/// address, port 443 to this API server (its Endpoints and EndpointSlice name this server's address and port, and
/// are brought up to date at every start), and <c>kube-system/kube-dns</c> at the tenth, without a selector: each
/// node's agent publishes the EndpointSlice of its own node-local DNS server, which <c>internalTrafficPolicy:
/// Local</c> keeps each node's queries on.
/// </summary>
internal sealed partial class SystemServices(IStore store, ServiceAllocations allocations, ServiceNetwork network, TimeProvider time, ILogger logger)
{
    private static readonly ResourceInfo Services = ResourceTable.BuiltIn.Find("", "v1", "services")!;
    private static readonly ResourceInfo Endpoints = ResourceTable.BuiltIn.Find("", "v1", "endpoints")!;
    private static readonly ResourceInfo Slices = ResourceTable.BuiltIn.Find("discovery.k8s.io", "v1", "endpointslices")!;

    /// <summary>Creates what is missing and points the <c>kubernetes</c> Service at <paramref name="address"/>:<paramref name="port"/>.</summary>
    public async Task EnsureAsync(string address, int port, CancellationToken cancellationToken)
    {
        await EnsureServiceAsync(KubernetesService(port), updatePorts: true, cancellationToken);
        await EnsureServiceAsync(DnsService(), updatePorts: false, cancellationToken);
        var ipv6 = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;
        await EnsureObjectAsync(Endpoints, "default", "kubernetes", new JsonObject
        {
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = address }),
                ["ports"] = new JsonArray(HttpsPort(port)),
            }),
        }, new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" }, cancellationToken);
        await EnsureObjectAsync(Slices, "default", "kubernetes", new JsonObject
        {
            ["addressType"] = ipv6 ? "IPv6" : "IPv4",
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(address),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray(HttpsPort(port)),
        }, new JsonObject { [EndpointSliceLabels.ServiceName] = "kubernetes" }, cancellationToken);
    }

    /// <summary>
    /// The address other machines reach this server at: the bind address, or when it binds every address, the first
    /// address of an interface that is up (loopback when there is none).
    /// </summary>
    public static string AdvertisedAddress(string bindAddress)
    {
        if (IPAddress.TryParse(bindAddress, out var bound) && !bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
            return bound.ToString();
        var found = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return (found ?? IPAddress.Loopback).ToString();
    }

    private JsonObject KubernetesService(int port) => Service("default", "kubernetes", network.KubernetesIp,
        new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
        [new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = port }], internalTrafficPolicy: null);

    private JsonObject DnsService() => Service("kube-system", "kube-dns", network.DnsIp,
        new JsonObject { ["k8s-app"] = "kube-dns", ["kubernetes.io/cluster-service"] = "true", ["kubernetes.io/name"] = "CoreDNS" },
        [
            new JsonObject { ["name"] = "dns", ["port"] = 53, ["protocol"] = "UDP", ["targetPort"] = 53 },
            new JsonObject { ["name"] = "dns-tcp", ["port"] = 53, ["protocol"] = "TCP", ["targetPort"] = 53 },
            new JsonObject { ["name"] = "metrics", ["port"] = 9153, ["protocol"] = "TCP", ["targetPort"] = 9153 },
        ], internalTrafficPolicy: "Local");

    private JsonObject Service(string ns, string name, string clusterIp, JsonObject labels, JsonObject[] ports, string? internalTrafficPolicy)
    {
        var spec = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["clusterIP"] = clusterIp,
            ["clusterIPs"] = new JsonArray(clusterIp),
            ["ports"] = new JsonArray([.. ports]),
            ["sessionAffinity"] = "None",
        };
        if (internalTrafficPolicy is not null)
            spec["internalTrafficPolicy"] = internalTrafficPolicy;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = Metadata(ns, name, labels),
            ["spec"] = spec,
        };
    }

    /// <summary>
    /// Creates the Service with its address claimed, unless it exists; the <c>kubernetes</c> Service's ports follow the
    /// server's port. A claim left by an earlier start that stopped before storing the Service is taken over.
    /// </summary>
    private async Task EnsureServiceAsync(JsonObject service, bool updatePorts, CancellationToken cancellationToken)
    {
        var (ns, name) = (ObjectJson.Namespace(service)!, ObjectJson.Name(service)!);
        var key = Services.StorageKey(ns, name);
        if ((await store.GetAsync(key, 0, cancellationToken)).Kv is { } kv)
        {
            var stored = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
            if (updatePorts && stored["spec"] is JsonObject storedSpec && !JsonNode.DeepEquals(storedSpec["ports"], service["spec"]!["ports"]))
            {
                storedSpec["ports"] = service["spec"]!["ports"]!.DeepClone();
                await store.UpdateAsync(kv.Key, ObjectJson.ToStored(stored), kv.ModRevision, 0, cancellationToken);
            }
            return;
        }
        ObjectDefaults.OnCreate(Services, service);
        ObjectDefaults.OnWrite(Services, service);
        var ip = ServiceSpecs.ClusterIp(service["spec"]!.AsObject());
        await TakeOverLeftClaimAsync(ip, ns, name, cancellationToken);
        AllocationChange allocated;
        try
        {
            allocated = await allocations.OnCreateAsync(Services, service, dryRun: false, cancellationToken);
        }
        catch (ApiException e)
        {
            Log.AddressTaken(logger, $"{ns}/{name}", ip, e.Status.Message);
            return;
        }
        var created = await store.CreateAsync(key, ObjectJson.ToStored(service), 0, cancellationToken);
        if (!created.Succeeded)
            await allocated.RevertAsync(CancellationToken.None);
    }

    /// <summary>A claim of <paramref name="ip"/> by an earlier <paramref name="ns"/>/<paramref name="name"/> that was never stored goes.</summary>
    private async Task TakeOverLeftClaimAsync(string ip, string ns, string name, CancellationToken cancellationToken)
    {
        if ((await store.GetAsync(ServiceIpAllocator.Prefix + ip, 0, cancellationToken)).Kv is { } claim
            && AllocationOwner.Parse(claim.Value.Span) is { } owner && owner.Namespace == ns && owner.Name == name)
        {
            await store.DeleteAsync(claim.Key, claim.ModRevision, cancellationToken);
        }
    }

    /// <summary>Creates the object with <paramref name="body"/>, or brings an existing one's body and labels up to date.</summary>
    private async Task EnsureObjectAsync(ResourceInfo resource, string ns, string name, JsonObject body, JsonObject labels, CancellationToken cancellationToken)
    {
        var key = resource.StorageKey(ns, name);
        var existing = (await store.GetAsync(key, 0, cancellationToken)).Kv;
        var obj = existing is null
            ? new JsonObject { ["apiVersion"] = resource.GroupVersion, ["kind"] = resource.Kind, ["metadata"] = Metadata(ns, name, labels.DeepClone().AsObject()) }
            : ObjectJson.FromStored(existing.Value.Span, existing.ModRevision);
        var before = obj.DeepClone();
        foreach (var (field, value) in body)
            obj[field] = value?.DeepClone();
        var currentLabels = ObjectJson.Metadata(obj)["labels"] as JsonObject ?? (JsonObject)(ObjectJson.Metadata(obj)["labels"] = new JsonObject());
        foreach (var (label, value) in labels)
            currentLabels[label] = value?.DeepClone();
        if (existing is null)
        {
            ObjectDefaults.OnCreate(resource, obj);
            ObjectDefaults.OnWrite(resource, obj);
            await store.CreateAsync(key, ObjectJson.ToStored(obj), 0, cancellationToken);
        }
        else if (!JsonNode.DeepEquals(before, obj))
        {
            await store.UpdateAsync(key, ObjectJson.ToStored(obj), existing.ModRevision, 0, cancellationToken);
        }
    }

    private JsonObject Metadata(string ns, string name, JsonObject labels) => new()
    {
        ["name"] = name,
        ["namespace"] = ns,
        ["uid"] = Guid.NewGuid().ToString(),
        ["creationTimestamp"] = WireTime.Time(time.GetUtcNow()),
        ["labels"] = labels,
    };

    private static JsonObject HttpsPort(int port) => new() { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" };

    private static partial class Log
    {
        [LoggerMessage(2410, LogLevel.Error, "Cannot create the Service {Service} at {Ip}: {Reason}; delete the Service that holds {Ip} and restart the server")]
        public static partial void AddressTaken(ILogger logger, string service, string ip, string reason);
    }
}
