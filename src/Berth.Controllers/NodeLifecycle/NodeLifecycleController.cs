using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Core.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's node lifecycle controller. Every <see cref="NodeLifecycleOptions.MonitorPeriod"/> it looks at each
/// node's heartbeats (its Lease's renew time and its Ready condition's heartbeat, timed by this controller's clock): a
/// node silent for the grace period gets its conditions set to Unknown, and its pods' Ready condition to False. A
/// node not Ready gets the NoExecute taint for its state (<c>not-ready</c> or <c>unreachable</c>) at its zone's
/// eviction rate, and loses it as soon as it is Ready again; the taint eviction controller then moves the pods.
/// NoSchedule taints follow the conditions and the cordon at once. When every node is down the fault is more likely
/// the network's or this server's than the nodes', so nothing is evicted.
/// </summary>
public sealed partial class NodeLifecycleController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time, NodeLifecycleOptions? options = null)
{
    /// <summary>How often the zones' waiting nodes are tainted (upstream: 100 ms), as their eviction rate allows.</summary>
    private static readonly TimeSpan TaintingPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>Nodes whose NoSchedule taints are written at once: thousands register (not Ready, then Ready) together.</summary>
    private const int ConditionTaintWorkers = 4;

    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", false, ["list", "watch"]);
    private static readonly ApiResource Leases = new("coordination.k8s.io", "v1", "Lease", "leases", true, ["list", "watch"]);
    private static readonly string[] MonitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly NodeLifecycleOptions _options = options ?? NodeLifecycleOptions.Default;
    private readonly ILogger _logger = loggerFactory.CreateLogger<NodeLifecycleController>();
    private readonly Dictionary<string, NodeHealth> _health = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Zone> _zones = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var nodes = new Informer<NodeView>(client, Nodes, NodeView.Read, loggerFactory.CreateLogger<Informer<NodeView>>());
        var leases = new Informer<NodeLease>(client, Leases, NodeLease.Read, loggerFactory.CreateLogger<Informer<NodeLease>>(),
            $"metadata.namespace={NodeLease.Namespace}");
        var events = new EventRecorder(client, "node-controller", time, _logger);
        using var conditionTaints = new WorkQueue<string>(time);
        nodes.OnChange((_, now) =>
        {
            if (now is not null)
                conditionTaints.Add(now.Name);
        });
        var watching = Task.WhenAll(nodes.RunAsync(cancellationToken), leases.RunAsync(cancellationToken), events.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(nodes.Synced, leases.Synced).WaitAsync(cancellationToken);
            await Task.WhenAll(
                conditionTaints.RunAsync(ConditionTaintWorkers, (name, ct) => TaintByConditionsAsync(nodes, name, ct), _logger, cancellationToken),
                MonitorAsync(nodes, leases, events, cancellationToken));
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

    private async Task MonitorAsync(Informer<NodeView> nodes, Informer<NodeLease> leases, EventRecorder events, CancellationToken cancellationToken)
    {
        var nextLook = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(TaintingPeriod, time);
        do
        {
            if (time.GetUtcNow() >= nextLook)
            {
                await LookAsync(nodes, leases, events, cancellationToken);
                nextLook = time.GetUtcNow() + _options.MonitorPeriod;
            }
            await TaintWaitingAsync(nodes, cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>One look at every node, then at how sick each zone is.</summary>
    private async Task LookAsync(Informer<NodeView> nodes, Informer<NodeLease> leases, EventRecorder events, CancellationToken cancellationToken)
    {
        var all = nodes.Items();
        var present = all.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _health.Keys.Where(n => !present.Contains(n)).ToList())
            _health.Remove(gone);
        var zones = new Dictionary<string, (int Ready, int NotReady)>(StringComparer.Ordinal);
        foreach (var node in all)
        {
            string? ready;
            try
            {
                ready = await LookAtAsync(node, leases.Get(NodeLease.Namespace, node.Name), events, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                Log.NodeUpdateFailed(_logger, node.Name, e.Message);
                ready = _health.TryGetValue(node.Name, out var known) ? known.Ready : node.Ready;
            }
            var (r, n) = zones.GetValueOrDefault(node.Zone);
            zones[node.Zone] = ready == "True" ? (r + 1, n) : (r, n + 1);
        }
        await WeighZonesAsync(all, zones, cancellationToken);
    }

    /// <summary>Looks at one node's heartbeats, marks it Unknown if they stopped, and taints it as its readiness says; returns its Ready status.</summary>
    private async Task<string?> LookAtAsync(NodeView node, NodeLease? lease, EventRecorder events, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var heartbeat = node.Conditions.FirstOrDefault(c => c.Type == "Ready")?.Heartbeat;
        if (!_health.TryGetValue(node.Name, out var health))
            _health[node.Name] = health = new NodeHealth { Probed = now, Heartbeat = heartbeat, Renewed = lease?.RenewTime, Ready = node.Ready };
        if (heartbeat != health.Heartbeat || (lease?.RenewTime is { } renewed && renewed != health.Renewed))
            (health.Probed, health.Heartbeat, health.Renewed) = (now, heartbeat, lease?.RenewTime ?? health.Renewed);

        var ready = node.Ready;
        var grace = ready is null ? _options.StartupGracePeriod : _options.GracePeriod;
        if (now - health.Probed > grace && MonitoredConditions.Any(type => node.Conditions.FirstOrDefault(c => c.Type == type)?.Status != "Unknown"))
        {
            Log.NodeUnknown(_logger, node.Name, (now - health.Probed).TotalSeconds);
            await UpdateNodeAsync(node.Name, status: true, n => MarkUnknown(n, now), cancellationToken);
            ready = "Unknown";
        }
        if (ready != "True" && health.Ready == "True")
        {
            events.Record("v1", "Node", new JsonObject { ["name"] = node.Name, ["uid"] = node.Uid }, "Normal", "NodeNotReady",
                $"Node {node.Name} status is now: NodeNotReady");
            health.PodsToMark = true;
        }
        health.Ready = ready;
        if (health.PodsToMark)
            health.PodsToMark = !await MarkPodsNotReadyAsync(node.Name, events, cancellationToken);
        await TaintForReadinessAsync(node, ready, cancellationToken);
        return ready;
    }

    /// <summary>Sets the monitored conditions to Unknown, as upstream does for a node that stopped posting its status.</summary>
    private static bool MarkUnknown(JsonObject node, DateTimeOffset now)
    {
        var status = node["status"] as JsonObject ?? (JsonObject)(node["status"] = new JsonObject());
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        var stamp = WireTime.Time(now);
        var changed = false;
        foreach (var type in MonitoredConditions)
        {
            var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == type);
            if (condition is null)
            {
                conditions.Add((JsonNode)new JsonObject
                {
                    ["type"] = type,
                    ["status"] = "Unknown",
                    ["lastHeartbeatTime"] = node["metadata"]?["creationTimestamp"]?.DeepClone(),
                    ["lastTransitionTime"] = stamp,
                    ["reason"] = "NodeStatusNeverUpdated",
                    ["message"] = "Kubelet never posted node status.",
                });
                changed = true;
            }
            else if (condition["status"]?.ToString() != "Unknown")
            {
                condition["status"] = "Unknown";
                condition["reason"] = "NodeStatusUnknown";
                condition["message"] = "Kubelet stopped posting node status.";
                condition["lastTransitionTime"] = stamp;
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>
    /// Sets the Ready condition of every pod on the node to False (its agent can no longer say), with a
    /// <c>NodeNotReady</c> event on each; false if some could not be written, to try again at the next look.
    /// </summary>
    private async Task<bool> MarkPodsNotReadyAsync(string nodeName, EventRecorder events, CancellationToken cancellationToken)
    {
        var listed = await client.GetAsync("/api/v1/pods?fieldSelector=" + Uri.EscapeDataString($"spec.nodeName={nodeName}"), cancellationToken);
        listed.ThrowIfFailed($"listing the pods on node {nodeName}");
        var allWritten = true;
        foreach (var pod in (listed.Body?["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ready = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == "Ready");
            if (ready is null || ready["status"]?.ToString() == "False")
                continue;
            ready["status"] = "False";
            ready["lastTransitionTime"] = WireTime.Time(time.GetUtcNow());
            pod["apiVersion"] = "v1";
            pod["kind"] = "Pod";
            var metadata = pod["metadata"]!;
            var written = await client.PutAsync($"/api/v1/namespaces/{metadata["namespace"]}/pods/{metadata["name"]}/status", pod, cancellationToken);
            if (written.IsConflict)
            {
                allWritten = false;
                continue;
            }
            written.ThrowIfFailed($"marking pod {metadata["namespace"]}/{metadata["name"]} not ready", goneIsFine: true);
            events.Record("v1", "Pod", metadata, "Warning", "NodeNotReady", "Node is not ready");
        }
        return allWritten;
    }

    /// <summary>
    /// Gives a node that is not Ready its NoExecute taint: at once when it only trades one for the other, else in
    /// its zone's turn; takes both off a Ready node at once.
    /// </summary>
    private async Task TaintForReadinessAsync(NodeView node, string? ready, CancellationToken cancellationToken)
    {
        var zone = ZoneOf(node.Zone);
        if (NodeTaints.ForReadiness(ready) is not { } wanted)
        {
            zone.Forget(node.Name);
            if (ready == "True" && (node.Has(NodeTaints.NotReady) || node.Has(NodeTaints.Unreachable)))
            {
                Log.Untainting(_logger, node.Name);
                await UpdateNodeAsync(node.Name, status: false, n => SetNoExecute(n, null), cancellationToken);
            }
            return;
        }
        var other = wanted == NodeTaints.NotReady ? NodeTaints.Unreachable : NodeTaints.NotReady;
        if (node.Has(other))
        {
            zone.Forget(node.Name);
            await UpdateNodeAsync(node.Name, status: false, n => SetNoExecute(n, wanted), cancellationToken);
        }
        else if (!node.Has(wanted))
        {
            zone.Wait(node.Name);
        }
    }

    /// <summary>Taints the nodes waiting in each zone, as many as its eviction rate lets through now.</summary>
    private async Task TaintWaitingAsync(Informer<NodeView> nodes, CancellationToken cancellationToken)
    {
        foreach (var zone in _zones.Values)
        {
            while (zone.Next() is { } name)
            {
                var node = nodes.Get(null, name);
                var wanted = node is not null && _health.TryGetValue(name, out var health) ? NodeTaints.ForReadiness(health.Ready) : null;
                if (wanted is null || node!.Has(wanted))
                {
                    zone.Forget(name);
                    continue;
                }
                if (!zone.Limiter.TryTake(time.GetUtcNow()))
                    break;
                zone.Forget(name);
                Log.Tainting(_logger, name, wanted.Key);
                try
                {
                    await UpdateNodeAsync(name, status: false, n => SetNoExecute(n, wanted), cancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
                {
                    Log.NodeUpdateFailed(_logger, name, e.Message);
                    zone.Wait(name);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Sets each zone's eviction rate from how many of its nodes are Ready. When no node anywhere is Ready, takes the
    /// NoExecute taints off every node and evicts nothing until some node is Ready again, which then gives every
    /// node a fresh grace period.
    /// </summary>
    private async Task WeighZonesAsync(List<NodeView> all, Dictionary<string, (int Ready, int NotReady)> counts, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var states = counts.ToDictionary(z => z.Key, z => ZoneHealth.State(z.Value.Ready, z.Value.NotReady, _options.UnhealthyZoneThreshold), StringComparer.Ordinal);
        var allDown = states.Count > 0 && states.Values.All(s => s == ZoneState.FullDisruption);
        var allWereDown = _zones.Count > 0 && _zones.Values.All(z => z.State == ZoneState.FullDisruption);
        foreach (var gone in _zones.Keys.Where(z => !states.ContainsKey(z)).ToList())
            _zones.Remove(gone);
        if (allDown)
        {
            if (!allWereDown)
            {
                Log.AllNodesDown(_logger);
                foreach (var node in all.Where(n => n.Has(NodeTaints.NotReady) || n.Has(NodeTaints.Unreachable)))
                    await UpdateNodeAsync(node.Name, status: false, n => SetNoExecute(n, null), cancellationToken);
            }
            foreach (var key in states.Keys)
            {
                var zone = ZoneOf(key);
                zone.State = ZoneState.FullDisruption;
                zone.Limiter.SetRate(0, now);
            }
            return;
        }
        if (allWereDown)
        {
            Log.NodesBack(_logger);
            foreach (var health in _health.Values)
                health.Probed = now;
        }
        foreach (var (key, state) in states)
        {
            var zone = ZoneOf(key);
            zone.State = state;
            zone.Limiter.SetRate(ZoneHealth.EvictionRate(state, counts[key].Ready + counts[key].NotReady, _options), now);
        }
    }

    /// <summary>Keeps the NoSchedule taints that stand for the node's conditions and cordon in step with them.</summary>
    private async Task<ReconcileResult> TaintByConditionsAsync(Informer<NodeView> nodes, string name, CancellationToken cancellationToken)
    {
        if (nodes.Get(null, name) is not { } node)
            return ReconcileResult.Done;
        var wanted = NodeTaints.ForConditions(node);
        if (node.Taints.Where(NodeTaints.IsConditionTaint).ToHashSet().SetEquals(wanted))
            return ReconcileResult.Done;
        await UpdateNodeAsync(name, status: false, n =>
        {
            var taints = Taints(n);
            var before = taints.Count;
            foreach (var stale in taints.OfType<JsonObject>().Where(t => NodeTaints.IsConditionTaint(TaintOf(t)) && !wanted.Contains(TaintOf(t))).ToList())
                taints.Remove(stale);
            var changed = taints.Count != before;
            foreach (var missing in wanted.Where(w => !taints.OfType<JsonObject>().Any(t => TaintOf(t) == w)))
            {
                taints.Add((JsonNode)new JsonObject { ["key"] = missing.Key, ["effect"] = missing.Effect });
                changed = true;
            }
            return changed;
        }, cancellationToken);
        return ReconcileResult.Done;
    }

    /// <summary>Leaves <paramref name="wanted"/> as the node's only not-ready/unreachable NoExecute taint (none when null).</summary>
    private bool SetNoExecute(JsonObject node, Taint? wanted)
    {
        var taints = Taints(node);
        var changed = false;
        foreach (var taint in taints.OfType<JsonObject>().Where(t => TaintOf(t) is var o && (o == NodeTaints.NotReady || o == NodeTaints.Unreachable) && o != wanted).ToList())
        {
            taints.Remove(taint);
            changed = true;
        }
        if (wanted is not null && !taints.OfType<JsonObject>().Any(t => TaintOf(t) == wanted))
        {
            taints.Add((JsonNode)new JsonObject { ["key"] = wanted.Key, ["effect"] = wanted.Effect, ["timeAdded"] = WireTime.Time(time.GetUtcNow()) });
            changed = true;
        }
        return changed;
    }

    private static JsonArray Taints(JsonObject node)
    {
        var spec = node["spec"] as JsonObject ?? (JsonObject)(node["spec"] = new JsonObject());
        return spec["taints"] as JsonArray ?? (JsonArray)(spec["taints"] = new JsonArray());
    }

    private static Taint TaintOf(JsonObject taint) => new(taint["key"]?.ToString() ?? "", taint["effect"]?.ToString() ?? "");

    /// <summary>Reads the node, lets <paramref name="change"/> edit it, and writes it back (its status, or the rest), reading again on a conflict.</summary>
    private async Task UpdateNodeAsync(string name, bool status, Func<JsonObject, bool> change, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/nodes/{name}";
        for (var attempt = 1; ; attempt++)
        {
            var found = await client.GetAsync(path, cancellationToken);
            if (found.IsNotFound)
                return;
            found.ThrowIfFailed($"reading node {name}");
            var node = found.Body!.AsObject();
            if (!change(node))
                return;
            var written = await client.PutAsync(status ? path + "/status" : path, node, cancellationToken);
            if (written.IsConflict && attempt < 5)
                continue;
            written.ThrowIfFailed($"updating node {name}", goneIsFine: true);
            return;
        }
    }

    private Zone ZoneOf(string key)
    {
        if (!_zones.TryGetValue(key, out var zone))
            _zones[key] = zone = new Zone(new TokenBucket(_options.EvictionRate, time.GetUtcNow()));
        return zone;
    }

    /// <summary>What the controller knows of a node's health: when it last heard from it (by its own clock) and what it made of it.</summary>
    private sealed class NodeHealth
    {
        public DateTimeOffset Probed { get; set; }

        public string? Heartbeat { get; set; }

        public string? Renewed { get; set; }

        public string? Ready { get; set; }

        /// <summary>The node stopped being Ready and not all its pods have been marked not ready yet.</summary>
        public bool PodsToMark { get; set; }
    }

    /// <summary>A zone: its state, its eviction limiter and the nodes waiting in order for their NoExecute taint.</summary>
    private sealed class Zone(TokenBucket limiter)
    {
        private readonly LinkedList<string> _waiting = [];

        public TokenBucket Limiter { get; } = limiter;

        public ZoneState State { get; set; }

        public void Wait(string node)
        {
            if (!_waiting.Contains(node))
                _waiting.AddLast(node);
        }

        public void Forget(string node) => _waiting.Remove(node);

        public string? Next() => _waiting.First?.Value;
    }

    private static partial class Log
    {
        [LoggerMessage(3500, LogLevel.Warning, "Node {Node} has not been heard from for {Seconds:F0} s: its conditions are now Unknown")]
        public static partial void NodeUnknown(ILogger logger, string node, double seconds);

        [LoggerMessage(3501, LogLevel.Information, "Tainting node {Node} with {Taint}:NoExecute")]
        public static partial void Tainting(ILogger logger, string node, string taint);

        [LoggerMessage(3502, LogLevel.Information, "Node {Node} is Ready again: removing its NoExecute taints")]
        public static partial void Untainting(ILogger logger, string node);

        [LoggerMessage(3503, LogLevel.Warning, "No node is Ready: evicting nothing until one is")]
        public static partial void AllNodesDown(ILogger logger);

        [LoggerMessage(3504, LogLevel.Information, "Some node is Ready again: evictions resume, every node with a fresh grace period")]
        public static partial void NodesBack(ILogger logger);

        [LoggerMessage(3505, LogLevel.Warning, "Node {Node} could not be updated: {Reason}")]
        public static partial void NodeUpdateFailed(ILogger logger, string node, string reason);
    }
}
