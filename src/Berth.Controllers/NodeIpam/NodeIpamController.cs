using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.NodeIpam;

/// <summary>
/// Upstream's node IPAM controller with its range allocator: gives every node a pod CIDR of its own from the cluster
/// CIDR, in <c>spec.podCIDR</c> and <c>spec.podCIDRs</c>, and takes it back when the node goes. Subnets that nodes
/// already have are kept as they are. When none is left the node gets a <c>CIDRNotAvailable</c> event and waits.
/// </summary>
public sealed partial class NodeIpamController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time, NodeIpamOptions? options = null)
{
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", false, ["list", "watch"]);
    private static readonly TimeSpan RetryWhenFull = TimeSpan.FromSeconds(30);

    /// <summary>Nodes given their CIDR at once: thousands register together when a cluster starts.</summary>
    private const int Workers = 4;

    private readonly NodeIpamOptions _options = options ?? NodeIpamOptions.Default;
    private readonly ILogger _logger = loggerFactory.CreateLogger<NodeIpamController>();
    private readonly Lock _gate = new();

    /// <summary>The subnet each node holds, as this controller knows it.</summary>
    private readonly Dictionary<string, string> _held = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var subnets = new CidrSet(_options.ClusterCidr, _options.NodeCidrPrefix);
        var nodes = new Informer<IpamNode>(client, Nodes, IpamNode.Read, loggerFactory.CreateLogger<Informer<IpamNode>>());
        var events = new EventRecorder(client, "cidrAllocator", time, _logger);
        using var queue = new WorkQueue<string>(time);
        nodes.OnChange((old, now) =>
        {
            lock (_gate)
            {
                if (now is null)
                {
                    if (_held.Remove(old!.Name, out var freed))
                        subnets.Release(freed);
                }
                else if (now.PodCidr is { } cidr)
                {
                    if (!_held.ContainsKey(now.Name) && !subnets.Occupy(cidr))
                        Log.Foreign(_logger, now.Name, cidr, _options.ClusterCidr);
                    _held[now.Name] = cidr;
                }
                else
                {
                    queue.Add(now.Name);
                }
            }
        });
        var watching = Task.WhenAll(nodes.RunAsync(cancellationToken), events.RunAsync(cancellationToken));
        try
        {
            // Nothing is handed out before every subnet already held is known.
            await nodes.Synced.WaitAsync(cancellationToken);
            await queue.RunAsync(Workers, (name, ct) => AssignAsync(nodes, subnets, events, name, ct), _logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> AssignAsync(Informer<IpamNode> nodes, CidrSet subnets, EventRecorder events, string name, CancellationToken cancellationToken)
    {
        if (nodes.Get(null, name) is not { PodCidr: null } node)
            return ReconcileResult.Done;
        string? cidr;
        lock (_gate)
        {
            if (_held.ContainsKey(name))
                return ReconcileResult.Done;
            cidr = subnets.Allocate();
            if (cidr is not null)
                _held[name] = cidr;
        }
        if (cidr is null)
        {
            Log.Exhausted(_logger, name, _options.ClusterCidr);
            events.Record("v1", "Node", new JsonObject { ["name"] = name, ["uid"] = node.Uid }, "Normal", "CIDRNotAvailable", $"Node {name} status is now: CIDRNotAvailable");
            return ReconcileResult.After(RetryWhenFull);
        }
        var patch = new JsonObject { ["spec"] = new JsonObject { ["podCIDR"] = cidr, ["podCIDRs"] = new JsonArray(cidr) } };
        var patched = await client.MergePatchAsync($"/api/v1/nodes/{name}", patch, cancellationToken);
        if (!patched.Succeeded)
        {
            lock (_gate)
            {
                if (_held.Remove(name))
                    subnets.Release(cidr);
            }
            if (patched.IsNotFound)
                return ReconcileResult.Done;
            events.Record("v1", "Node", new JsonObject { ["name"] = name, ["uid"] = node.Uid }, "Warning", "CIDRAssignmentFailed",
                $"Node {name} status is now: CIDRAssignmentFailed");
            patched.ThrowIfFailed($"giving node {name} the pod CIDR {cidr}");
        }
        Log.Assigned(_logger, name, cidr);
        return ReconcileResult.Done;
    }

    /// <summary>What the allocator needs of a node: its name, uid and pod CIDR if it has one.</summary>
    private sealed record IpamNode(string Name, string Uid, string? PodCidr)
    {
        public static IpamNode Read(JsonElement node)
        {
            var metadata = node.GetProperty("metadata");
            return new IpamNode(
                metadata.GetProperty("name").GetString()!,
                metadata.TryGetProperty("uid", out var uid) ? uid.GetString() ?? "" : "",
                node.TryGetProperty("spec", out var spec) && spec.TryGetProperty("podCIDR", out var cidr) && cidr.GetString() is { Length: > 0 } c ? c : null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3700, LogLevel.Information, "Node {Node} has pod CIDR {Cidr}")]
        public static partial void Assigned(ILogger logger, string node, string cidr);

        [LoggerMessage(3701, LogLevel.Warning, "No pod CIDR is left in {ClusterCidr} for node {Node}")]
        public static partial void Exhausted(ILogger logger, string node, string clusterCidr);

        [LoggerMessage(3702, LogLevel.Warning, "Node {Node} has pod CIDR {Cidr}, which is not one of {ClusterCidr}'s subnets; it keeps it")]
        public static partial void Foreign(ILogger logger, string node, string cidr, string clusterCidr);
    }
}
