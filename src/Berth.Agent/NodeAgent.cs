using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Client;
using Berth.Core.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.Agent;

/// <summary>
/// The node agent: registers its Node (or takes over the one it registered before), renews its Lease in
/// <c>kube-node-lease</c> and reports its status periodically, riding out API server restarts, and runs the pods bound
/// to it through <paramref name="pods"/> (none for an agent that only keeps a node alive). The pod CIDR node IPAM
/// gives the node goes to <paramref name="network"/>, for the pods' addresses. What the API server shows of the node
/// comes from <paramref name="shownNodes"/> when given (hollow nodes share one watch), else from a watch of its own.
/// </summary>
public sealed partial class NodeAgent(ApiClient client, NodeDescription node, NodeAgentTiming timing, TimeProvider time, ILogger logger,
    PodLifecycle? pods = null, PodNetwork? network = null, NodeWatch? shownNodes = null)
{
    private const string LeaseNamespace = "kube-node-lease";

    private readonly string _nodePath = $"/api/v1/nodes/{node.Name}";
    private readonly string _leasePath = $"/apis/coordination.k8s.io/v1/namespaces/{LeaseNamespace}/leases/{node.Name}";
    private readonly NodeWatch _shown = shownNodes ?? new NodeWatch(client, node.Name, logger);
    private JsonObject? _lease;

    public string NodeName => node.Name;

    /// <summary>Whether pods can get addresses: the node has its pod CIDR (or the agent runs no pods).</summary>
    private bool NetworkReady => network is not { Cidr: null };

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(HeartbeatAsync(cancellationToken), pods?.RunAsync(cancellationToken) ?? Task.CompletedTask,
            shownNodes is null ? _shown.RunAsync(cancellationToken) : Task.CompletedTask);

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        string? uid = null;
        var (renewed, reported) = (DateTimeOffset.MinValue, DateTimeOffset.MinValue);
        NodePressure? reportedPressure = null;
        bool? reportedNetwork = null;
        async Task<bool> RoundAsync()
        {
            try
            {
                uid ??= await RegisterAsync(cancellationToken);
                if (_lease is null || time.GetUtcNow() - renewed >= timing.LeaseRenewal)
                {
                    await RenewLeaseAsync(uid, cancellationToken);
                    renewed = time.GetUtcNow();
                }
                if (!NetworkReady && _shown.PodCidrOf(node.Name) is { } cidr && network!.Learn(cidr))
                    Log.PodCidr(logger, node.Name, cidr);
                // The status goes out when something in it changed, and at least every 5 minutes regardless. The
                // server showing another Ready than this agent's means someone else wrote it (the node lifecycle
                // controller, while this agent could not get through): the agent's own goes out again.
                var pressure = node.CurrentPressure();
                var overwritten = _shown.ReadyOf(node.Name) is { } shown && reportedNetwork is { } wasReady && shown != (wasReady ? "True" : "False");
                if (time.GetUtcNow() - reported >= timing.StatusReport || pressure != reportedPressure || NetworkReady != reportedNetwork || overwritten)
                {
                    var networkReady = NetworkReady;
                    await ReportStatusAsync(pressure, cancellationToken);
                    (reported, reportedPressure, reportedNetwork) = (time.GetUtcNow(), pressure, networkReady);
                }
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The API server is away (restarting, say): the next round tries again soon, and then reports the
                // status at once, since the node lifecycle controller may have marked the node Unknown meanwhile.
                Log.HeartbeatFailed(logger, node.Name, e.Message);
                _lease = null;
                reported = DateTimeOffset.MinValue;
                return false;
            }
        }

        try
        {
            while (true)
            {
                var succeeded = await RoundAsync();
                // A node without its pod CIDR yet (it cannot be Ready) looks for it in the Node every retry period,
                // as a round that failed tries again then; the lease is still renewed only every renewal period.
                await Task.Delay(succeeded && NetworkReady ? timing.LeaseRenewal : timing.Retry, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Creates the Node, or reports the status of the one already there; returns its uid.</summary>
    private async Task<string> RegisterAsync(CancellationToken cancellationToken)
    {
        var created = await client.SendAsync(HttpMethod.Post, "/api/v1/nodes", NodeObject.Create(node, NetworkReady, Now()), cancellationToken);
        if (created.Succeeded)
        {
            Log.Registered(logger, node.Name);
            return Uid(created.Body);
        }
        if (created.Code != 409)
            created.ThrowIfFailed($"registering node {node.Name}");
        return Uid(await ReportStatusAsync(node.CurrentPressure(), cancellationToken));
    }

    /// <summary>Writes the node's status (fresh heartbeats) over what the Node shows now.</summary>
    private async Task<JsonNode?> ReportStatusAsync(NodePressure pressure, CancellationToken cancellationToken)
    {
        var current = await client.GetAsync(_nodePath, cancellationToken);
        current.ThrowIfFailed($"reading node {node.Name}");
        var updated = current.Body!.AsObject();
        updated["status"] = NodeObject.Status(node, pressure, NetworkReady, updated["status"] as JsonObject, Now());
        var written = await client.PutAsync(_nodePath + "/status", updated, cancellationToken);
        written.ThrowIfFailed($"reporting the status of node {node.Name}");
        return written.Body;
    }

    /// <summary>Renews the node's Lease, creating it (owned by the Node) the first time.</summary>
    private async Task RenewLeaseAsync(string uid, CancellationToken cancellationToken)
    {
        if (_lease is null)
        {
            var found = await client.GetAsync(_leasePath, cancellationToken);
            if (found.IsNotFound)
            {
                var created = await client.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{LeaseNamespace}/leases", NewLease(uid), cancellationToken);
                created.ThrowIfFailed($"creating the lease of node {node.Name}");
                _lease = created.Body!.AsObject();
                return;
            }
            found.ThrowIfFailed($"reading the lease of node {node.Name}");
            _lease = found.Body!.AsObject();
        }
        var renewed = _lease.DeepClone().AsObject();
        var spec = renewed["spec"] as JsonObject ?? (JsonObject)(renewed["spec"] = new JsonObject());
        spec["holderIdentity"] = node.Name;
        spec["leaseDurationSeconds"] = (int)timing.LeaseDuration.TotalSeconds;
        spec["renewTime"] = MicroNow();
        var written = await client.PutAsync(_leasePath, renewed, cancellationToken);
        // On a conflict the lease is read again at the next renewal.
        _lease = written.Succeeded ? written.Body!.AsObject() : null;
        if (!written.IsConflict)
            written.ThrowIfFailed($"renewing the lease of node {node.Name}");
    }

    private JsonObject NewLease(string uid) => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject
        {
            ["name"] = node.Name,
            ["namespace"] = LeaseNamespace,
            ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node.Name, ["uid"] = uid }),
        },
        ["spec"] = new JsonObject
        {
            ["holderIdentity"] = node.Name,
            ["leaseDurationSeconds"] = (int)timing.LeaseDuration.TotalSeconds,
            ["renewTime"] = MicroNow(),
        },
    };

    private static string Uid(JsonNode? node) => node?["metadata"]?["uid"]?.GetValue<string>() ?? throw new InvalidOperationException("the node has no uid");

    private string Now() => WireTime.Time(time.GetUtcNow());

    /// <summary>A Lease's renewTime is a MicroTime: RFC 3339 with microseconds.</summary>
    private string MicroNow() => WireTime.MicroTime(time.GetUtcNow());

    private static partial class Log
    {
        [LoggerMessage(4000, LogLevel.Information, "Node {Node} registered")]
        public static partial void Registered(ILogger logger, string node);

        [LoggerMessage(4002, LogLevel.Information, "Node {Node} has pod CIDR {Cidr}")]
        public static partial void PodCidr(ILogger logger, string node, string cidr);

        [LoggerMessage(4001, LogLevel.Warning, "Node {Node} could not renew its lease or report its status: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string node, string reason);
    }
}
