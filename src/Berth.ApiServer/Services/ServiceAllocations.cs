using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Services;

/// <summary>
/// What writing a Service allocates and releases, as upstream's service registry does: a cluster IP for every type
/// but ExternalName unless headless, node ports for NodePort and LoadBalancer, a health check node port for a
/// LoadBalancer with <c>externalTrafficPolicy: Local</c>. Requested ones are honoured when in range and free; the
/// rest are picked at random. Refusals are upstream's 422 Invalid (500 when a range is full).
/// </summary>
internal sealed class ServiceAllocations(ServiceIpAllocator ips, NodePortAllocator ports, TimeProvider time)
{
    private static readonly ResourceInfo Services = ResourceTable.BuiltIn.Find("", "v1", "services")!;

    public ServiceIpAllocator Ips => ips;

    public NodePortAllocator Ports => ports;

    public static bool Applies(ResourceInfo resource) => resource is { Group: "", Plural: "services", Custom: null };

    /// <summary>Allocates what a new Service needs, writing it into <paramref name="service"/>.</summary>
    public async Task<AllocationChange> OnCreateAsync(ResourceInfo resource, JsonObject service, bool dryRun, CancellationToken cancellationToken)
    {
        if (!Applies(resource) || service["spec"] is not JsonObject spec)
            return AllocationChange.None;
        var owner = Owner(service);
        var change = new AllocationChange(ips, ports, owner.Uid, dryRun);
        try
        {
            if (ServiceSpecs.NeedsClusterIp(spec) && !ServiceSpecs.IsHeadless(spec))
                await AllocateClusterIpAsync(spec, owner, change, dryRun, cancellationToken);
            if (ServiceSpecs.NeedsNodePorts(spec))
                await InitNodePortsAsync(spec, owner, change, dryRun, cancellationToken);
            if (ServiceSpecs.NeedsHealthCheckNodePort(spec))
                await AllocateHealthCheckNodePortAsync(spec, owner, change, dryRun, cancellationToken);
        }
        catch
        {
            await change.RevertAsync(CancellationToken.None);
            throw;
        }
        return change;
    }

    /// <summary>
    /// Allocates what an updated Service needs that <paramref name="before"/> did not have, and notes what it no longer
    /// holds: a type change from or to ExternalName gains or gives up the cluster IP, one to or from NodePort and
    /// LoadBalancer its node ports; node ports the update drops are given up, new ones allocated.
    /// </summary>
    public async Task<AllocationChange> OnUpdateAsync(ResourceInfo resource, JsonObject service, JsonObject before, bool dryRun, CancellationToken cancellationToken)
    {
        if (!Applies(resource) || service["spec"] is not JsonObject spec)
            return AllocationChange.None;
        var old = before["spec"] as JsonObject ?? [];
        var owner = Owner(service);
        var change = new AllocationChange(ips, ports, owner.Uid, dryRun);
        try
        {
            await UpdateClusterIpAsync(spec, old, owner, change, dryRun, cancellationToken);
            if (ServiceSpecs.NeedsNodePorts(old) && !ServiceSpecs.NeedsNodePorts(spec))
            {
                foreach (var port in ServiceSpecs.NodePorts(old))
                    change.ReleasesPort(port);
            }
            if (ServiceSpecs.NeedsNodePorts(spec))
                await UpdateNodePortsAsync(spec, old, owner, change, dryRun, cancellationToken);
            var needed = ServiceSpecs.NeedsHealthCheckNodePort(old);
            var needs = ServiceSpecs.NeedsHealthCheckNodePort(spec);
            if (!needed && needs)
            {
                await AllocateHealthCheckNodePortAsync(spec, owner, change, dryRun, cancellationToken);
            }
            else if (needed && !needs && ServiceSpecs.HealthCheckNodePort(old) is var healthCheck and not 0)
            {
                change.ReleasesPort(healthCheck);
                spec.Remove("healthCheckNodePort");
            }
        }
        catch
        {
            await change.RevertAsync(CancellationToken.None);
            throw;
        }
        return change;
    }

    /// <summary>Releases everything a removed Service held (what another Service holds by now stays).</summary>
    public async Task ReleaseAsync(ResourceInfo resource, JsonObject service, CancellationToken cancellationToken)
    {
        if (!Applies(resource) || service["spec"] is not JsonObject spec || ObjectJson.GetString(ObjectJson.Metadata(service), "uid") is not { } uid)
            return;
        foreach (var ip in ServiceSpecs.ClusterIps(spec).Append(ServiceSpecs.ClusterIp(spec)).Where(ip => ip is not ("" or ServiceSpecs.None)).Distinct())
            await ips.ReleaseAsync(ip, uid, cancellationToken);
        foreach (var port in ServiceSpecs.NodePorts(spec).Append(ServiceSpecs.HealthCheckNodePort(spec)).Where(p => p != 0).Distinct())
            await ports.ReleaseAsync(port, uid, cancellationToken);
    }

    private AllocationOwner Owner(JsonObject service)
    {
        var metadata = ObjectJson.Metadata(service);
        return new AllocationOwner(ObjectJson.GetString(metadata, "namespace") ?? "", ObjectJson.GetString(metadata, "name") ?? "",
            ObjectJson.GetString(metadata, "uid") ?? "", time.GetUtcNow());
    }

    private async Task UpdateClusterIpAsync(JsonObject spec, JsonObject old, AllocationOwner owner, AllocationChange change, bool dryRun, CancellationToken cancellationToken)
    {
        var needed = ServiceSpecs.NeedsClusterIp(old);
        var needs = ServiceSpecs.NeedsClusterIp(spec);
        if (needed && !needs)
        {
            // To ExternalName: the address is given up (the update has cleared it, or validation refuses it).
            if (!ServiceSpecs.IsHeadless(old))
            {
                foreach (var ip in ServiceSpecs.ClusterIps(old).Append(ServiceSpecs.ClusterIp(old)).Where(ip => ip.Length > 0).Distinct())
                    change.ReleasesIp(ip);
            }
            return;
        }
        // From ExternalName, or a Service stored before addresses were allocated: it gets one now.
        if (needs && !ServiceSpecs.IsHeadless(spec) && (!needed || ServiceSpecs.ClusterIp(old).Length == 0))
            await AllocateClusterIpAsync(spec, owner, change, dryRun, cancellationToken);
    }

    private async Task AllocateClusterIpAsync(JsonObject spec, AllocationOwner owner, AllocationChange change, bool dryRun, CancellationToken cancellationToken)
    {
        var requested = ServiceSpecs.ClusterIps(spec) is [var first, ..] && first.Length > 0 ? first : ServiceSpecs.ClusterIp(spec);
        string ip;
        if (requested.Length == 0)
        {
            ip = await ips.AllocateNextAsync(owner, dryRun, cancellationToken)
                ?? throw new ApiException(ApiStatus.Internal("failed to allocate a serviceIP: range is full"));
        }
        else
        {
            if (await ips.AllocateAsync(requested, owner, dryRun, cancellationToken) is { } problem)
            {
                var shown = ServiceSpecs.ClusterIps(spec) is { Count: > 0 } given ? given : [requested];
                throw Invalid(owner.Name, "spec.clusterIPs", $"Invalid value: {ServiceSpecs.GoStrings(shown)}: failed to allocate IP {requested}: {problem}");
            }
            ip = ServiceIpAllocator.Canonical(requested);
        }
        change.AllocatedIp(ip);
        spec["clusterIP"] = ip;
        spec["clusterIPs"] = new JsonArray(ip);
    }

    /// <summary>
    /// A new Service's node ports: ports with the same port number share one (a DNS Service's UDP and TCP 53), a
    /// requested one is claimed, the others picked at random.
    /// </summary>
    private async Task InitNodePortsAsync(JsonObject spec, AllocationOwner owner, AllocationChange change, bool dryRun, CancellationToken cancellationToken)
    {
        var list = ServiceSpecs.Ports(spec);
        var byServicePort = new Dictionary<long, long>();
        var claimed = new HashSet<long>();
        for (var i = 0; i < list.Count; i++)
        {
            var port = list[i];
            var nodePort = ServiceSpecs.NodePort(port);
            if (nodePort == 0 && !ServiceSpecs.AllocatesNodePorts(spec))
                continue;
            var servicePort = Validation.JsonNumbers.Integer(port["port"]) ?? 0;
            if (!byServicePort.TryGetValue(servicePort, out var shared))
            {
                var requested = list.Where(p => (Validation.JsonNumbers.Integer(p["port"]) ?? 0) == servicePort).Select(ServiceSpecs.NodePort).FirstOrDefault(p => p != 0);
                var allocated = requested != 0
                    ? await ClaimNodePortAsync(requested, i, owner, change, claimed, dryRun, cancellationToken)
                    : await NextNodePortAsync(owner, change, claimed, dryRun, cancellationToken);
                port["nodePort"] = allocated;
                byServicePort[servicePort] = allocated;
            }
            else if (nodePort != shared)
            {
                if (nodePort == 0)
                    port["nodePort"] = shared;
                else
                    await ClaimNodePortAsync(nodePort, i, owner, change, claimed, dryRun, cancellationToken);
            }
        }
    }

    /// <summary>An updated Service's node ports: kept ones stay, new requested ones are claimed, missing ones picked; dropped ones are given up.</summary>
    private async Task UpdateNodePortsAsync(JsonObject spec, JsonObject old, AllocationOwner owner, AllocationChange change, bool dryRun, CancellationToken cancellationToken)
    {
        var before = ServiceSpecs.NodePorts(old).ToHashSet();
        var claimed = new HashSet<long>();
        var list = ServiceSpecs.Ports(spec);
        for (var i = 0; i < list.Count; i++)
        {
            var nodePort = ServiceSpecs.NodePort(list[i]);
            if (nodePort == 0 && !ServiceSpecs.AllocatesNodePorts(spec))
                continue;
            if (nodePort == 0)
                list[i]["nodePort"] = await NextNodePortAsync(owner, change, claimed, dryRun, cancellationToken);
            else if (!before.Contains(nodePort) && !claimed.Contains(nodePort))
                await ClaimNodePortAsync(nodePort, i, owner, change, claimed, dryRun, cancellationToken);
        }
        foreach (var port in before.Except(ServiceSpecs.NodePorts(spec)))
            change.ReleasesPort(port);
    }

    private async Task<long> ClaimNodePortAsync(long nodePort, int index, AllocationOwner owner, AllocationChange change, HashSet<long> claimed, bool dryRun,
        CancellationToken cancellationToken)
    {
        var problem = claimed.Contains(nodePort) ? "provided port is already allocated" : await ports.AllocateAsync(nodePort, owner, dryRun, cancellationToken);
        if (problem is not null)
            throw Invalid(owner.Name, string.Create(CultureInfo.InvariantCulture, $"spec.ports[{index}].nodePort"), string.Create(CultureInfo.InvariantCulture, $"Invalid value: {nodePort}: {problem}"));
        claimed.Add(nodePort);
        change.AllocatedPort(nodePort);
        return nodePort;
    }

    private async Task<long> NextNodePortAsync(AllocationOwner owner, AllocationChange change, HashSet<long> claimed, bool dryRun, CancellationToken cancellationToken)
    {
        var nodePort = await ports.AllocateNextAsync(owner, dryRun, cancellationToken)
            ?? throw new ApiException(ApiStatus.Internal("failed to allocate a nodePort: range is full"));
        claimed.Add(nodePort);
        change.AllocatedPort(nodePort);
        return nodePort;
    }

    private async Task AllocateHealthCheckNodePortAsync(JsonObject spec, AllocationOwner owner, AllocationChange change, bool dryRun, CancellationToken cancellationToken)
    {
        var requested = ServiceSpecs.HealthCheckNodePort(spec);
        if (requested != 0)
        {
            if (await ports.AllocateAsync(requested, owner, dryRun, cancellationToken) is { } problem)
                throw new ApiException(ApiStatus.Internal(string.Create(CultureInfo.InvariantCulture, $"failed to allocate requested HealthCheck NodePort {requested}: {problem}")));
            change.AllocatedPort(requested);
            return;
        }
        var allocated = await ports.AllocateNextAsync(owner, dryRun, cancellationToken)
            ?? throw new ApiException(ApiStatus.Internal("failed to allocate a HealthCheck NodePort 0: range is full"));
        change.AllocatedPort(allocated);
        spec["healthCheckNodePort"] = allocated;
    }

    private static ApiException Invalid(string name, string field, string message) =>
        new(ApiStatus.Invalid(Services, name, [new StatusCause("FieldValueInvalid", message, field)]));
}
