using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Scheduler.Cache;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Queue;
using Microsoft.Extensions.Logging;

namespace Berth.Scheduler;

/// <summary>
/// The scheduler: watches nodes and pods, takes the pods of its profile that have no node one at a time from the
/// queue, filters every node through the profile's plugins in parallel, scores those that fit, assumes the pod onto
/// the best and binds it in the background (so the next pod is placed meanwhile), and tells kubectl users why when
/// no node fits: a FailedScheduling event and the PodScheduled condition with reason Unschedulable.
/// </summary>
public sealed partial class Scheduler(ApiClient client, Profile profile, TimeProvider time, ILoggerFactory loggers)
{
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", Namespaced: false, ["get", "list", "watch"]);
    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", Namespaced: true, ["get", "list", "watch"]);

    private readonly ILogger _logger = loggers.CreateLogger<Scheduler>();
    private readonly SchedulerCache _cache = new();
    private readonly SchedulingQueue _queue = new(time);
    private readonly ConcurrentDictionary<string, PodEntry> _pending = new(StringComparer.Ordinal);
    private readonly SchedulingEvents _events = new(client, time);

    /// <summary>Where the next cycle starts looking, so that every node gets its turn.</summary>
    private int _nextStart;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var nodes = new Informer<JsonObject>(client, Nodes, e => JsonNode.Parse(e.GetRawText())!.AsObject(), loggers.CreateLogger<Informer<JsonObject>>());
        nodes.OnChange(NodeChanged);
        var pods = new Informer<PodEntry>(client, Pods, PodEntry.Read, loggers.CreateLogger<Informer<PodEntry>>());
        pods.OnChange(PodChanged);
        var watching = Task.WhenAll(nodes.RunAsync(cancellationToken), pods.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(nodes.Synced, pods.Synced).WaitAsync(cancellationToken);
            while (true)
            {
                var key = await _queue.PopAsync(cancellationToken);
                if (!_pending.TryGetValue(key, out var pod))
                    continue;
                try
                {
                    ScheduleOne(pod, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A plugin that breaks on one pod must not stop the scheduling of all the others.
                    Log.CycleFailed(_logger, key, e);
                    _queue.BackOff(key);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await watching;
    }

    private void NodeChanged(JsonObject? old, JsonObject? now)
    {
        if (now is null)
            _cache.RemoveNode(old!["metadata"]?["name"]?.ToString() ?? "");
        else
            _cache.SetNode(now);
        if (now is not null)
            _queue.ClusterChanged();
    }

    private void PodChanged(PodEntry? old, PodEntry? now)
    {
        if (now is null)
        {
            _pending.TryRemove(old!.Key, out _);
            _queue.Remove(old.Key);
            _cache.RemovePod(old.Uid);
            _queue.ClusterChanged();
            return;
        }
        if (now.Pending is not null && now.Active && now.SchedulerName == profile.SchedulerName)
        {
            _pending[now.Key] = now;
            // A change to the pod's status (our own condition, say) gives it no new chance; a new pod or spec does.
            if (old?.Pending is null || !JsonNode.DeepEquals(old.Pending["spec"], now.Pending["spec"]))
            {
                var info = new PodInfo(now.Pending);
                _queue.Add(now.Key, info.Priority, info.Created);
            }
            return;
        }
        _pending.TryRemove(now.Key, out _);
        _queue.Remove(now.Key);
        _cache.SetPod(now);
        if (old is { Active: true } && !now.Active)
            _queue.ClusterChanged();
    }

    /// <summary>One scheduling cycle: filter, score, assume, and bind in the background; or record why not.</summary>
    private void ScheduleOne(PodEntry entry, CancellationToken cancellationToken)
    {
        var pod = new PodInfo(entry.Pending!);
        var state = new CycleState();
        var (chosen, nodeCount, failures) = _cache.Read(nodes => FindNode(state, pod, nodes));
        if (chosen is null)
        {
            var message = FailureMessage.For(nodeCount, failures);
            Log.Unschedulable(_logger, pod.Key, message);
            _queue.Unschedulable(entry.Key);
            _ = _events.UnschedulableAsync(entry.Pending!, message, cancellationToken);
            return;
        }
        _cache.Assume(entry, chosen);
        _ = BindAsync(entry, pod, chosen, cancellationToken);
    }

    /// <summary>
    /// Filters nodes from where the last cycle stopped until enough fit (upstream's percentageOfNodesToScore, adaptive:
    /// half the nodes of a small cluster, down to 5 % of a huge one, never fewer than 100), scores those, and picks the
    /// best; ties are broken by chance, as upstream's selectHost does. A pod that fits nowhere has seen every node.
    /// </summary>
    private (string? Node, int NodeCount, List<Status> Failures) FindNode(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var wanted = FeasibleNodesToFind(nodes.Count);
        var failures = new List<Status>();
        string? best = null;
        var (bestScore, ties) = (long.MinValue, 0);
        var checkedNodes = 0;
        for (; checkedNodes < nodes.Count && wanted > 0; checkedNodes++)
        {
            var node = nodes[(_nextStart + checkedNodes) % nodes.Count];
            var verdict = Filter(state, pod, node);
            if (!verdict.IsSuccess)
            {
                failures.Add(verdict);
                continue;
            }
            wanted--;
            var score = profile.Scorers.Sum(s => s.Plugin.Score(state, pod, node) * s.Weight);
            if (score > bestScore)
                (best, bestScore, ties) = (node.Name, score, 1);
            else if (score == bestScore && Random.Shared.Next(++ties) == 0)
                best = node.Name;
        }
        _nextStart = nodes.Count == 0 ? 0 : (_nextStart + checkedNodes) % nodes.Count;
        return (best, nodes.Count, failures);
    }

    private static int FeasibleNodesToFind(int nodes)
    {
        const int MinFeasible = 100;
        if (nodes < MinFeasible)
            return nodes;
        var percentage = Math.Max(5, 50 - (nodes / 125));
        return Math.Max(MinFeasible, nodes * percentage / 100);
    }

    /// <summary>Runs the filters in order; the first that fails speaks for the node.</summary>
    private Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var plugin in profile.Filters)
        {
            var status = plugin.Filter(state, pod, node);
            if (!status.IsSuccess)
                return status;
        }
        return Status.Success;
    }

    private async Task BindAsync(PodEntry entry, PodInfo pod, string nodeName, CancellationToken cancellationToken)
    {
        var binding = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Binding",
            ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
            ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = nodeName },
        };
        try
        {
            var bound = await client.SendAsync(HttpMethod.Post, Pods.ObjectPath(pod.Namespace, pod.Name) + "/binding", binding, cancellationToken);
            if (bound.Succeeded)
            {
                await _events.ScheduledAsync(entry.Pending!, nodeName, cancellationToken);
                return;
            }
            Log.BindFailed(_logger, pod.Key, nodeName, bound.Body?["message"]?.ToString() ?? bound.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.BindFailed(_logger, pod.Key, nodeName, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        _cache.Forget(entry.Uid);
        _queue.BackOff(entry.Key);
    }

    private static partial class Log
    {
        [LoggerMessage(5000, LogLevel.Information, "Pod {Pod} cannot be scheduled: {Message}")]
        public static partial void Unschedulable(ILogger logger, string pod, string message);

        [LoggerMessage(5002, LogLevel.Error, "Scheduling pod {Pod} failed; it will be tried again")]
        public static partial void CycleFailed(ILogger logger, string pod, Exception exception);

        [LoggerMessage(5001, LogLevel.Warning, "Binding pod {Pod} to node {Node} failed: {Reason}; it will be tried again")]
        public static partial void BindFailed(ILogger logger, string pod, string node, string reason);
    }
}
