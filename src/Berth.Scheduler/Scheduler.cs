using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Scheduler.Cache;
using Berth.Scheduler.Configuration;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Queue;
using Microsoft.Extensions.Logging;

namespace Berth.Scheduler;

/// <summary>
/// The scheduler: watches nodes, pods and namespaces (and, for its plugins, disruption budgets, claims and volumes,
/// and the selectors of Services and controllers), takes the pods of its profiles that have no node one at a time from the queue, and runs
/// a cycle for each (see <see cref="Cycle"/>): the pod is assumed onto the node chosen and bound in the background, so
/// the next pod is placed meanwhile; a pod that fits nowhere may preempt lower-priority pods, and kubectl users are
/// told why it waits (a FailedScheduling event, the PodScheduled condition).
/// </summary>
public sealed partial class Scheduler
{
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", Namespaced: false, ["get", "list", "watch"]);
    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", Namespaced: true, ["get", "list", "watch"]);
    private static readonly ApiResource Namespaces = new("", "v1", "Namespace", "namespaces", Namespaced: false, ["get", "list", "watch"]);
    private static readonly ApiResource Budgets = new("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", Namespaced: true, ["get", "list", "watch"]);
    private static readonly ApiResource Claims = new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", Namespaced: true, ["get", "list", "watch"]);
    private static readonly ApiResource Volumes = new("", "v1", "PersistentVolume", "persistentvolumes", Namespaced: false, ["get", "list", "watch"]);

    /// <summary>What selects pods, for the default topology spreading of pods without constraints of their own.</summary>
    private static readonly (ApiResource Resource, string Kind)[] Owners =
    [
        (new("", "v1", "Service", "services", Namespaced: true, ["get", "list", "watch"]), OwnerSelectors.Service),
        (new("", "v1", "ReplicationController", "replicationcontrollers", Namespaced: true, ["get", "list", "watch"]), OwnerSelectors.ReplicationController),
        (new("apps", "v1", "ReplicaSet", "replicasets", Namespaced: true, ["get", "list", "watch"]), OwnerSelectors.ReplicaSet),
        (new("apps", "v1", "StatefulSet", "statefulsets", Namespaced: true, ["get", "list", "watch"]), OwnerSelectors.StatefulSet),
    ];

    /// <summary>
    /// Bindings and status writes in flight at once. Without a bound a fast cycle loop opens thousands of requests
    /// at once and swamps the API server (and the agents' lease renewals with it); with one, cycles wait for a slot.
    /// A binding takes 100–200 ms on a busy server: 64 slots held the scheduler to about 350 pods a second, and pods
    /// of bench-density waited 4 s (p50) to be bound where they now wait 0.3 s.
    /// </summary>
    private const int MaxApiCallsInFlight = 512;

    private readonly ApiClient _client;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SchedulerCache _cache = new();
    private readonly SchedulingQueue _queue;
    private readonly ConcurrentDictionary<string, PodEntry> _pending = new(StringComparer.Ordinal);
    private readonly Nominations _nominations = new();
    private readonly DisruptionBudgets _budgets = new();
    private readonly OwnerSelectors _owners = new();
    private readonly VolumeClaims _claims = new();
    private readonly EventRecorder _recorder;
    private readonly SchedulingEvents _events;
    private readonly Dictionary<string, Cycle> _cycles;

    /// <summary>A scheduler with the profiles of <paramref name="configuration"/>; throws <see cref="SchedulerConfigurationException"/> for one it cannot run.</summary>
    public Scheduler(ApiClient client, SchedulerConfiguration configuration, TimeProvider time, ILoggerFactory loggers)
    {
        _client = client;
        _loggers = loggers;
        _logger = loggers.CreateLogger<Scheduler>();
        _queue = new SchedulingQueue(time);
        _recorder = new EventRecorder(client, "default-scheduler", time, loggers.CreateLogger<EventRecorder>());
        _events = new SchedulingEvents(client, _recorder, time);
        _cycles = configuration.Profiles(new PluginContext(client, _budgets, _owners, _claims)).ToDictionary(p => p.SchedulerName, p => new Cycle(p), StringComparer.Ordinal);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var nodes = Watch(Nodes, NodeChanged);
        var pods = new Informer<PodEntry>(_client, Pods, PodEntry.Read, _loggers.CreateLogger<Informer<PodEntry>>());
        pods.OnChange(PodChanged);
        var namespaces = Watch(Namespaces, NamespaceChanged);
        var budgets = Watch(Budgets, (old, now) =>
        {
            if (now is null)
                _budgets.Remove(old!);
            else
                _budgets.Set(now);
        });
        // A claim bound or a volume made may let a waiting pod run.
        var claims = Watch(Claims, (old, now) =>
        {
            if (now is null)
                _claims.RemoveClaim(old!);
            else
                _claims.SetClaim(now);
            _queue.ClusterChanged();
        });
        var volumes = Watch(Volumes, (old, now) =>
        {
            if (now is null)
                _claims.RemoveVolume(old!);
            else
                _claims.SetVolume(now);
            _queue.ClusterChanged();
        });
        var owners = Owners.Select(o => Watch(o.Resource, (old, now) =>
        {
            if (now is null)
                _owners.Remove(o.Kind, old!);
            else
                _owners.Set(o.Kind, now);
        }, SelectorOnly)).ToList();
        var watching = Task.WhenAll([nodes.RunAsync(cancellationToken), pods.RunAsync(cancellationToken),
            namespaces.RunAsync(cancellationToken), budgets.RunAsync(cancellationToken), claims.RunAsync(cancellationToken), volumes.RunAsync(cancellationToken),
            .. owners.Select(o => o.RunAsync(cancellationToken)),
            _recorder.RunAsync(cancellationToken)]);
        using var apiCalls = new SemaphoreSlim(MaxApiCallsInFlight);
        try
        {
            await Task.WhenAll([nodes.Synced, pods.Synced, namespaces.Synced, budgets.Synced, claims.Synced, volumes.Synced, .. owners.Select(o => o.Synced)])
                .WaitAsync(cancellationToken);
            while (true)
            {
                var key = await _queue.PopAsync(cancellationToken);
                if (!_pending.TryGetValue(key, out var pod))
                    continue;
                await apiCalls.WaitAsync(cancellationToken);
                try
                {
                    var calls = ScheduleOne(pod, cancellationToken);
                    _ = calls.ContinueWith(_ => apiCalls.Release(), TaskScheduler.Default);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A plugin that breaks on one pod must not stop the scheduling of all the others.
                    Log.CycleFailed(_logger, key, e);
                    _queue.BackOff(key);
                    apiCalls.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        // The calls still in flight end with the token; wait for them so none outlives the semaphore.
        for (var i = 0; i < MaxApiCallsInFlight; i++)
            await apiCalls.WaitAsync(CancellationToken.None);
        await watching;
    }

    private Informer<JsonObject> Watch(ApiResource resource, Action<JsonObject?, JsonObject?> changed, Func<JsonElement, JsonObject>? read = null)
    {
        var informer = new Informer<JsonObject>(_client, resource, read ?? (e => JsonNode.Parse(e.GetRawText())!.AsObject()), _loggers.CreateLogger<Informer<JsonObject>>());
        informer.OnChange(changed);
        return informer;
    }

    /// <summary>An object's namespace, name and <c>spec.selector</c>, all the scheduler keeps of Services and controllers.</summary>
    private static JsonObject SelectorOnly(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["namespace"] = metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() : null,
                ["name"] = metadata.TryGetProperty("name", out var name) ? name.GetString() : null,
            },
            ["spec"] = new JsonObject
            {
                ["selector"] = obj.TryGetProperty("spec", out var spec) && spec.ValueKind == JsonValueKind.Object && spec.TryGetProperty("selector", out var selector)
                    ? JsonNode.Parse(selector.GetRawText())
                    : null,
            },
        };
    }

    private void NodeChanged(JsonObject? old, JsonObject? now)
    {
        if (now is null)
        {
            _cache.RemoveNode(old!["metadata"]?["name"]?.ToString() ?? "");
            return;
        }
        _cache.SetNode(now);
        _queue.ClusterChanged();
    }

    private void NamespaceChanged(JsonObject? old, JsonObject? now)
    {
        if (now is null)
        {
            _cache.Namespaces.Remove(old!["metadata"]?["name"]?.ToString() ?? "");
            return;
        }
        var labels = (now["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        _cache.Namespaces.Set(now["metadata"]?["name"]?.ToString() ?? "", labels);
        _queue.ClusterChanged();
    }

    private void PodChanged(PodEntry? old, PodEntry? now)
    {
        if (now is null)
        {
            Forget(old!);
            _cache.RemovePod(old!.Uid);
            _queue.ClusterChanged();
            return;
        }
        if (now.WaitsForNode && _cycles.TryGetValue(now.SchedulerName, out var cycle))
        {
            _pending[now.Key] = now;
            _nominations.Set(now.Info);
            // A change to the pod's status (our own condition, say) gives it no new chance; a new pod or spec does.
            if (old?.SpecHash is null || !old.SpecHash.AsSpan().SequenceEqual(now.SpecHash))
                Enqueue(cycle.Profile, now);
            return;
        }
        Forget(now);
        _cache.SetPod(now);
        if (old is not null && (old.Info.Terminating != now.Info.Terminating || old.Finished != now.Finished))
            _queue.ClusterChanged();
    }

    /// <summary>Into the queue, unless a PreEnqueue plugin holds the pod back (scheduling gates).</summary>
    private void Enqueue(Profile profile, PodEntry entry)
    {
        if (profile.PreEnqueue.Any(p => !p.PreEnqueue(entry.Info).IsSuccess))
        {
            _queue.Remove(entry.Key);
            return;
        }
        _queue.Add(entry.Key, entry.Info.Priority, entry.Info.Created);
    }

    private void Forget(PodEntry pod)
    {
        _pending.TryRemove(pod.Key, out _);
        _nominations.Remove(pod.Uid);
        _queue.Remove(pod.Key);
    }

    /// <summary>
    /// One scheduling cycle over a consistent view of the cluster, then what it decided: assume and bind in the
    /// background, or record why the pod waits (and start the preemption that will make room). Returns the API calls
    /// it left running.
    /// </summary>
    private Task ScheduleOne(PodEntry entry, CancellationToken cancellationToken)
    {
        var cycle = _cycles[entry.SchedulerName];
        // The nomination this scheduler made may not have come back through the watch yet.
        var pending = entry.Pending();
        var pod = new PodInfo(pending);
        if (_nominations.NodeOf(pod.Uid) is { } nominatedTo)
            pod = new PodInfo(pending) { NominatedNodeName = nominatedTo };
        var state = new CycleState();
        var outcome = _cache.Read(snapshot =>
        {
            var result = cycle.Run(state, pod, snapshot, _nominations);
            if (result.Node is { } node)
                _cache.Assume(entry, node);
            return result;
        });
        if (outcome.Node is { } chosen)
            return ReserveAndBindAsync(cycle.Profile, state, entry, pending, pod, chosen, cancellationToken);

        Log.Unschedulable(_logger, pod.Key, outcome.Message);
        _queue.Unschedulable(entry.Key);
        if (outcome.Preemption is { NominatedNode: { } nominated } preemption)
        {
            _nominations.Set(pod, nominated);
            return Task.WhenAll(
                _events.UnschedulableAsync(pending, outcome.Message, nominated, cancellationToken),
                _events.PreemptAsync(pod, nominated, preemption.Victims, cancellationToken),
                _events.ClearNominationsAsync(_nominations.TakeBack(pod, nominated), cancellationToken));
        }
        return _events.UnschedulableAsync(pending, outcome.Message, null, cancellationToken);
    }

    /// <summary>Reserve and Permit in the cycle; PreBind and Bind in the background. A failure anywhere takes the assumption back.</summary>
    private async Task ReserveAndBindAsync(Profile profile, CycleState state, PodEntry entry, JsonObject pending, PodInfo pod, string nodeName, CancellationToken cancellationToken)
    {
        var reserved = new List<IReservePlugin>();
        var status = Status.Success;
        foreach (var plugin in profile.Reservers)
        {
            reserved.Add(plugin);
            if (!(status = plugin.Reserve(state, pod, nodeName)).IsSuccess)
                break;
        }
        if (status.IsSuccess)
            status = profile.Permits.Select(p => p.Permit(state, pod, nodeName)).FirstOrDefault(s => !s.IsSuccess) ?? Status.Success;
        await Task.Yield();
        if (status.IsSuccess)
            status = await BindAsync(profile, state, pod, nodeName, cancellationToken);
        if (status.IsSuccess)
        {
            _nominations.Remove(pod.Uid);
            _events.Scheduled(pending, nodeName);
            return;
        }
        if (cancellationToken.IsCancellationRequested)
            return;
        Log.BindFailed(_logger, pod.Key, nodeName, status.Message);
        foreach (var plugin in Enumerable.Reverse(reserved))
            plugin.Unreserve(state, pod, nodeName);
        _cache.Forget(entry.Uid);
        _queue.BackOff(entry.Key);
    }

    private static async Task<Status> BindAsync(Profile profile, CycleState state, PodInfo pod, string nodeName, CancellationToken cancellationToken)
    {
        foreach (var plugin in profile.PreBinders)
        {
            var prepared = await plugin.PreBindAsync(state, pod, nodeName, cancellationToken);
            if (!prepared.IsSuccess)
                return prepared;
        }
        foreach (var plugin in profile.Binders)
        {
            var bound = await plugin.BindAsync(state, pod, nodeName, cancellationToken);
            if (bound.Code != StatusCode.Skip)
                return bound;
        }
        return new Status(StatusCode.Error, ["no bind plugin bound the pod"]);
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
