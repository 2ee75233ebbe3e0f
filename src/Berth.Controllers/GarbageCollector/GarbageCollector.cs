using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.GarbageCollector;

/// <summary>
/// The garbage collector: deletes objects whose owners are all gone, and carries out the propagation policies
/// that deletes record as finalizers. <c>orphan</c>: the dependents lose their reference to the owner, then the
/// finalizer goes. <c>foregroundDeletion</c>: the dependents that block the owner are deleted (in the foreground
/// too), and the finalizer goes once none is left. Background: the owner goes at once and its dependents follow.
/// It watches every resource that can be listed, watched and deleted, except events (as upstream), and looks again
/// for resources periodically and whenever an owner is of a kind it does not know.
/// </summary>
public sealed partial class GarbageCollector
{
    private const int Workers = 4;

    /// <summary>How often the collector looks for resources that appeared or went (custom resources), as upstream resyncs its monitors.</summary>
    private static readonly TimeSpan DiscoveryPeriod = TimeSpan.FromSeconds(30);

    private readonly ApiClient _client;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OwnerGraph _graph = new();
    private readonly Dictionary<(string Group, string Version, string Plural), Monitor> _monitors = [];
    private volatile Dictionary<(string Group, string Kind), ApiResource> _kinds = [];
    private WorkQueue<string>? _queue;

    /// <summary>One discovery at a time: the periodic one and those an unknown owner kind asks for.</summary>
    private SemaphoreSlim? _discovering;

    public GarbageCollector(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _logger = loggerFactory.CreateLogger<GarbageCollector>();
        _time = time;
        _loggerFactory = loggerFactory;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(_time);
        using var discovering = new SemaphoreSlim(1, 1);
        (_queue, _discovering) = (queue, discovering);
        var started = await DiscoverAsync(cancellationToken);
        // Absence means something only once every resource has been listed.
        await Task.WhenAll(started.Select(m => m.Informer.Synced)).WaitAsync(cancellationToken);
        Log.Synced(_logger, started.Count);
        var rediscovery = RediscoverPeriodicallyAsync(cancellationToken);
        await queue.RunAsync(Workers, ReconcileAsync, _logger, cancellationToken);
        await rediscovery;
        List<Monitor> monitors;
        lock (_monitors)
            monitors = [.. _monitors.Values];
        await Task.WhenAll(monitors.Select(m => m.Running));
        foreach (var monitor in monitors)
            monitor.Stop.Dispose();
    }

    private async Task RediscoverPeriodicallyAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(DiscoveryPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await DiscoverAsync(cancellationToken);
                }
                catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
                {
                    Log.DiscoveryFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Finds the resources served now: starts an informer feeding the graph for each new one (custom resources come
    /// with their definitions) and stops those of resources no longer served. Returns the monitors it started.
    /// </summary>
    private async Task<List<Monitor>> DiscoverAsync(CancellationToken cancellationToken)
    {
        await _discovering!.WaitAsync(cancellationToken);
        try
        {
            var resources = await ResourceDiscovery.DiscoverAsync(_client, cancellationToken);
            _kinds = resources.GroupBy(r => (r.Group, r.Kind)).ToDictionary(g => g.Key, g => g.First());
            var wanted = resources
                .Where(r => r.Supports("list") && r.Supports("watch") && r.Supports("delete") && r.Plural != "events")
                .ToDictionary(r => (r.Group, r.Version, r.Plural));
            var started = new List<Monitor>();
            lock (_monitors)
            {
                foreach (var (key, monitor) in _monitors.Where(m => !wanted.ContainsKey(m.Key)).ToList())
                {
                    monitor.Stop.Cancel();
                    _monitors.Remove(key);
                }
                foreach (var (key, resource) in wanted.Where(w => !_monitors.ContainsKey(w.Key)))
                {
                    var monitor = Monitor.Start(_client, resource, _loggerFactory.CreateLogger<Informer<GraphObject>>(), Observe, cancellationToken);
                    _monitors[key] = monitor;
                    started.Add(monitor);
                }
            }
            return started;
        }
        finally
        {
            _discovering.Release();
        }
    }

    private void Observe(GraphObject? old, GraphObject? now)
    {
        foreach (var uid in _graph.Observe(old, now))
            _queue?.Add(uid);
    }

    /// <summary>An informer over one resource, feeding the graph until the resource is no longer served.</summary>
    private sealed record Monitor(Informer<GraphObject> Informer, CancellationTokenSource Stop, Task Running)
    {
        public static Monitor Start(ApiClient client, ApiResource resource, ILogger<Informer<GraphObject>> logger,
            Action<GraphObject?, GraphObject?> observe, CancellationToken cancellationToken)
        {
            var informer = new Informer<GraphObject>(client, resource, obj => GraphObject.Read(resource, obj), logger);
            informer.OnChange(observe);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            return new Monitor(informer, stop, informer.RunAsync(stop.Token));
        }
    }

    private Task<ReconcileResult> ReconcileAsync(string uid, CancellationToken cancellationToken)
    {
        var obj = _graph.Get(uid);
        if (obj is null)
            return Task.FromResult(ReconcileResult.Done);
        if (obj.Orphaning)
            return OrphanDependentsAsync(obj, cancellationToken);
        if (obj.WaitsForDependents)
            return DeleteBlockingDependentsAsync(obj, cancellationToken);
        if (obj.Owners.Count > 0 && !obj.Deleting)
            return CheckOwnersAsync(obj, cancellationToken);
        return Task.FromResult(ReconcileResult.Done);
    }

    /// <summary>Orphan propagation: every dependent drops its reference to the owner, then the finalizer goes.</summary>
    private async Task<ReconcileResult> OrphanDependentsAsync(GraphObject owner, CancellationToken cancellationToken)
    {
        foreach (var dependent in _graph.DependentsOf(owner.Uid))
            await SetOwnersAsync(dependent, [.. dependent.Owners.Where(o => o.Uid != owner.Uid)], cancellationToken);
        await RemoveFinalizerAsync(owner, GraphObject.OrphanFinalizer, cancellationToken);
        return ReconcileResult.Done;
    }

    /// <summary>Foreground propagation: delete the dependents that block the owner; when none is left, let it go.</summary>
    private async Task<ReconcileResult> DeleteBlockingDependentsAsync(GraphObject owner, CancellationToken cancellationToken)
    {
        var blocking = _graph.DependentsOf(owner.Uid).Where(d => d.Owners.Any(o => o.Uid == owner.Uid && o.Blocks)).ToList();
        foreach (var dependent in blocking.Where(d => !d.Deleting))
            await DeleteAsync(dependent, "Foreground", cancellationToken);
        if (blocking.Count == 0)
            await RemoveFinalizerAsync(owner, GraphObject.ForegroundFinalizer, cancellationToken);
        // Otherwise the graph brings the owner back as each blocking dependent goes.
        return ReconcileResult.Done;
    }

    /// <summary>
    /// A dependent's owners: with a live owner it stays (dropping references to owners that are gone); with none it
    /// is deleted, in the foreground when an owner being deleted in the foreground waits for it.
    /// </summary>
    private async Task<ReconcileResult> CheckOwnersAsync(GraphObject dependent, CancellationToken cancellationToken)
    {
        List<OwnerRef> solid = [], dangling = [], waiting = [];
        foreach (var reference in dependent.Owners)
        {
            var owner = _graph.Get(reference.Uid);
            if (owner is not null)
                (owner.WaitsForDependents ? waiting : solid).Add(reference);
            else if (await OwnerExistsAsync(dependent, reference, cancellationToken))
                solid.Add(reference);
            else
                dangling.Add(reference);
        }

        if (solid.Count > 0)
        {
            if (dangling.Count > 0 || waiting.Count > 0)
            {
                // Keep the live owners; unblock the ones waiting, so that they need not wait for this object.
                await SetOwnersAsync(dependent, [.. solid, .. waiting.Select(w => w with { BlockOwnerDeletion = false })], cancellationToken);
            }
            return ReconcileResult.Done;
        }
        if (waiting.Count > 0)
        {
            await DeleteAsync(dependent, waiting.Any(w => w.Blocks) ? "Foreground" : "Background", cancellationToken, judged: true);
            return ReconcileResult.Done;
        }
        var policy = dependent.Finalizers.Contains(GraphObject.OrphanFinalizer) ? "Orphan"
            : dependent.Finalizers.Contains(GraphObject.ForegroundFinalizer) ? "Foreground"
            : "Background";
        Log.DeletingOrphan(_logger, dependent.ToString());
        await DeleteAsync(dependent, policy, cancellationToken, judged: true);
        return ReconcileResult.Done;
    }

    /// <summary>Asks the API server whether the owner a reference names exists (with that uid).</summary>
    private async Task<bool> OwnerExistsAsync(GraphObject dependent, OwnerRef reference, CancellationToken cancellationToken)
    {
        if (!_kinds.ContainsKey((reference.Group, reference.Kind)))
        {
            // A kind defined since the last look (a new custom resource): look again before giving up.
            await DiscoverAsync(cancellationToken);
        }
        if (!_kinds.TryGetValue((reference.Group, reference.Kind), out var resource))
            throw new InvalidOperationException($"{dependent} names an owner of unknown kind {reference.ApiVersion} {reference.Kind}");
        // A namespaced owner lives in its dependent's namespace; a cluster-scoped object cannot have one.
        if (resource.Namespaced && dependent.Namespace is null)
            return false;
        var found = await _client.GetAsync(resource.ObjectPath(resource.Namespaced ? dependent.Namespace : null, reference.Name), cancellationToken);
        if (found.IsNotFound)
            return false;
        if (!found.Succeeded)
            throw new InvalidOperationException($"looking up the owner {reference.Kind} {reference.Name} of {dependent} failed: {found.Message}");
        return found.Body?["metadata"]?["uid"]?.GetValue<string>() == reference.Uid;
    }

    private async Task SetOwnersAsync(GraphObject obj, List<OwnerRef> owners, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = obj.ResourceVersion,
                ["ownerReferences"] = owners.Count == 0 ? null : new JsonArray([.. owners.Select(o => (JsonNode)o.ToJson())]),
            },
        };
        // A conflict means the graph was behind: the throw sends the key back to the queue, to be tried again.
        (await _client.MergePatchAsync(obj.Path, patch, cancellationToken)).ThrowIfFailed($"updating the owners of {obj}", goneIsFine: true);
    }

    private async Task RemoveFinalizerAsync(GraphObject obj, string finalizer, CancellationToken cancellationToken)
    {
        var remaining = obj.Finalizers.Where(f => f != finalizer).ToList();
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = obj.ResourceVersion,
                ["finalizers"] = remaining.Count == 0 ? null : new JsonArray([.. remaining.Select(f => (JsonNode)f)]),
            },
        };
        (await _client.MergePatchAsync(obj.Path, patch, cancellationToken)).ThrowIfFailed($"removing the {finalizer} finalizer of {obj}", goneIsFine: true);
    }

    /// <summary>
    /// Deletes the object the graph knows. A deletion <paramref name="judged"/> on its owner references holds only for
    /// the version judged: an orphaning may have dropped the references since, and the graph not have seen it yet.
    /// </summary>
    private async Task DeleteAsync(GraphObject obj, string policy, CancellationToken cancellationToken, bool judged = false)
    {
        var preconditions = new JsonObject { ["uid"] = obj.Uid };
        if (judged)
            preconditions["resourceVersion"] = obj.ResourceVersion;
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["propagationPolicy"] = policy,
            ["preconditions"] = preconditions,
        };
        // A conflict sends the key back to the queue, to be judged again on what the graph has seen by then.
        (await _client.DeleteAsync(obj.Path, options, cancellationToken)).ThrowIfFailed($"deleting {obj}", goneIsFine: true);
    }

    private static partial class Log
    {
        [LoggerMessage(3100, LogLevel.Information, "The garbage collector follows {Count} resources")]
        public static partial void Synced(ILogger logger, int count);

        [LoggerMessage(3101, LogLevel.Information, "Deleting {Dependent}: all its owners are gone")]
        public static partial void DeletingOrphan(ILogger logger, string dependent);

        [LoggerMessage(3102, LogLevel.Warning, "The garbage collector could not look for new resources; it tries again later")]
        public static partial void DiscoveryFailed(ILogger logger, Exception exception);
    }
}
