using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer.Services;

/// <summary>
/// Makes the allocation keys match the stored Services, as upstream's repair controllers do for cluster IPs and node
/// ports: at start and every few minutes it reads the Services and the keys at one revision, removes keys no Service
/// holds (once older than <see cref="Grace"/>, so that an allocation whose Service is being stored stays), adds the
/// keys Services hold without one (a crash, a restored datastore), and reports addresses and ports that several
/// Services hold, or that lie outside the configured ranges, for someone to recreate those Services.
/// </summary>
internal sealed partial class AllocationRepair(IStore store, ServiceIpAllocator ips, NodePortAllocator ports, TimeProvider time, ILogger logger)
{
    /// <summary>How often the repair runs (upstream's repair interval).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(3);

    /// <summary>How old a key no Service holds must be before it is removed.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    private const string ClusterIp = "cluster IP";
    private const string NodePort = "node port";

    private static readonly ResourceInfo Services = ResourceTable.BuiltIn.Find("", "v1", "services")!;

    /// <summary>Repairs every <see cref="Interval"/> until stopped; a failed pass is logged and the next one tries again.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await RepairAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.RepairFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass: how many keys it removed and how many it added.</summary>
    public async Task<(int Released, int Restored)> RepairAsync(CancellationToken cancellationToken)
    {
        var services = await store.ListAsync(Services.StoragePrefix, ListOptions.All, cancellationToken);
        if (services.Status != ReadStatus.Ok)
            return (0, 0);
        var ipKeys = await ListAtAsync(ServiceIpAllocator.Prefix, services.Revision, cancellationToken);
        var portKeys = await ListAtAsync(NodePortAllocator.Prefix, services.Revision, cancellationToken);

        var ipHolders = new Dictionary<string, List<AllocationOwner>>(StringComparer.Ordinal);
        var portHolders = new Dictionary<string, List<AllocationOwner>>(StringComparer.Ordinal);
        foreach (var kv in services.Items)
        {
            if (JsonNode.Parse(kv.Value.Span) is not JsonObject service || service["spec"] is not JsonObject spec)
                continue;
            var metadata = service["metadata"] as JsonObject ?? [];
            var owner = new AllocationOwner(Text(metadata["namespace"]), Text(metadata["name"]), Text(metadata["uid"]), DateTimeOffset.MinValue);
            if (ServiceSpecs.NeedsClusterIp(spec) && !ServiceSpecs.IsHeadless(spec))
            {
                foreach (var ip in ServiceSpecs.ClusterIps(spec).Append(ServiceSpecs.ClusterIp(spec)).Where(ip => ip.Length > 0).Select(ServiceIpAllocator.Canonical).Distinct())
                {
                    if (ips.InRange(ip))
                        Holders(ipHolders, ip).Add(owner);
                    else
                        Log.OutOfRange(logger, ClusterIp, ip, owner.Service, ips.Cidr.ToString());
                }
            }
            foreach (var port in ServiceSpecs.NodePorts(spec).Append(ServiceSpecs.HealthCheckNodePort(spec)).Where(p => p != 0).Distinct())
            {
                var number = port.ToString(CultureInfo.InvariantCulture);
                if (ports.Range.Contains(port))
                    Holders(portHolders, number).Add(owner);
                else
                    Log.OutOfRange(logger, NodePort, number, owner.Service, ports.Range.ToString());
            }
        }

        var (ipsReleased, ipsRestored) = await ReconcileAsync(ClusterIp, ServiceIpAllocator.Prefix, ipKeys, ipHolders, cancellationToken);
        var (portsReleased, portsRestored) = await ReconcileAsync(NodePort, NodePortAllocator.Prefix, portKeys, portHolders, cancellationToken);
        return (ipsReleased + portsReleased, ipsRestored + portsRestored);
    }

    private async Task<(int Released, int Restored)> ReconcileAsync(string what, string prefix, IReadOnlyList<KeyValue> keys,
        Dictionary<string, List<AllocationOwner>> holders, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var existing = keys.ToDictionary(kv => kv.Key[prefix.Length..], StringComparer.Ordinal);
        var (released, restored) = (0, 0);
        foreach (var (item, owners) in holders)
        {
            if (owners.Count > 1)
                Log.HeldTwice(logger, what, item, string.Join(", ", owners.Select(o => o.Service)));
            var holder = owners[0] with { Allocated = now };
            if (!existing.TryGetValue(item, out var kv))
            {
                if ((await store.CreateAsync(prefix + item, holder.ToBytes(), 0, cancellationToken)).Succeeded)
                {
                    restored++;
                    Log.Restored(logger, what, item, holder.Service);
                }
                continue;
            }
            // A key naming another owner than the Services holding the item (a restored datastore): it goes to the holder,
            // unless it is young, when its owner may be a Service being created that the datastore has not seen yet.
            var keyOwner = AllocationOwner.Parse(kv.Value.Span);
            if (keyOwner is not null && (owners.Any(o => o.Uid == keyOwner.Uid) || now - keyOwner.Allocated < Grace))
                continue;
            if ((await store.UpdateAsync(kv.Key, holder.ToBytes(), kv.ModRevision, 0, cancellationToken)).Succeeded)
            {
                restored++;
                Log.Restored(logger, what, item, holder.Service);
            }
        }
        foreach (var (item, kv) in existing)
        {
            if (holders.ContainsKey(item))
                continue;
            var owner = AllocationOwner.Parse(kv.Value.Span);
            if (owner is not null && now - owner.Allocated < Grace)
                continue;
            if ((await store.DeleteAsync(kv.Key, kv.ModRevision, cancellationToken)).Succeeded)
            {
                released++;
                Log.Released(logger, what, item, owner?.Service ?? "(unreadable)");
            }
        }
        return (released, restored);
    }

    /// <summary>The keys under <paramref name="prefix"/> at <paramref name="revision"/> (now, if that revision is compacted already).</summary>
    private async Task<IReadOnlyList<KeyValue>> ListAtAsync(string prefix, long revision, CancellationToken cancellationToken)
    {
        var list = await store.ListAsync(prefix, new ListOptions(revision), cancellationToken);
        if (list.Status == ReadStatus.Compacted)
            list = await store.ListAsync(prefix, ListOptions.All, cancellationToken);
        return list.Items;
    }

    private static List<AllocationOwner> Holders(Dictionary<string, List<AllocationOwner>> holders, string item)
    {
        if (!holders.TryGetValue(item, out var owners))
            holders[item] = owners = [];
        return owners;
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";

    private static partial class Log
    {
        [LoggerMessage(2400, LogLevel.Warning, "The {What} {Item} of Service {Service} is outside {Range}, which this server allocates from; recreate the Service to give it one inside")]
        public static partial void OutOfRange(ILogger logger, string what, string item, string service, string range);

        [LoggerMessage(2401, LogLevel.Error, "The {What} {Item} is held by several Services ({Services}); recreate all but one of them")]
        public static partial void HeldTwice(ILogger logger, string what, string item, string services);

        [LoggerMessage(2402, LogLevel.Information, "Released {What} {Item}, which no Service holds (it was allocated to {Service})")]
        public static partial void Released(ILogger logger, string what, string item, string service);

        [LoggerMessage(2403, LogLevel.Warning, "Recorded {What} {Item} as allocated to Service {Service}, which holds it without a record")]
        public static partial void Restored(ILogger logger, string what, string item, string service);

        [LoggerMessage(2404, LogLevel.Error, "Repairing the cluster IP and node port allocations failed; trying again at the next pass")]
        public static partial void RepairFailed(ILogger logger, Exception exception);
    }
}
