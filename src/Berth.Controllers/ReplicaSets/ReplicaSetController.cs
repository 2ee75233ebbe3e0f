using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Controllers.Pods;
using Berth.Core.Selectors;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.ReplicaSets;

/// <summary>
/// Keeps each ReplicaSet's number of pods at <c>spec.replicas</c>, as upstream's controller does: it adopts orphan
/// pods its selector matches and releases owned pods it no longer matches (a controller ownerReference either way),
/// creates missing pods from the template in batches of 1, 2, 4, ... (at most 500 per pass), deletes the surplus in
/// <see cref="DeletionOrder"/>, and reports replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (ready for
/// minReadySeconds), observedGeneration and the ReplicaFailure condition. Expectations keep it from acting twice
/// before its informer has shown it its own creations and deletions.
/// </summary>
public sealed partial class ReplicaSetController
{
    private const int Workers = 5;
    private const int BurstReplicas = 500;
    private const string ByNamespace = "namespace";
    /// <summary>Pods by namespace and controller uid (empty for none): what a ReplicaSet may claim is its own and the orphans.</summary>
    private const string ByController = "controller";
    private const string Component = "replicaset-controller";

    private static readonly ApiResource ReplicaSets = new("apps", "v1", "ReplicaSet", "replicasets", true, ["list", "watch"]);
    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", true, ["list", "watch"]);

    private readonly ApiClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations;
    private readonly EventRecorder _events;
    private readonly Informer<JsonObject> _replicaSets;
    private readonly Informer<ReplicaPod> _pods;

    /// <summary>
    /// Lists kept from pass to pass, two for each pass under way: the pods a ReplicaSet may claim, and those it owns. In a
    /// large Deployment each holds tens of thousands of pods, a large object that only a full collection would free.
    /// </summary>
    private readonly ConcurrentBag<List<ReplicaPod>> _lists = [];

    public ReplicaSetController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _logger = loggerFactory.CreateLogger<ReplicaSetController>();
        _time = time;
        _expectations = new Expectations(time);
        _events = new EventRecorder(client, Component, time, loggerFactory.CreateLogger<EventRecorder>());
        _replicaSets = new Informer<JsonObject>(client, ReplicaSets, ReadReplicaSet, loggerFactory.CreateLogger<Informer<JsonObject>>());
        _replicaSets.AddIndex(ByNamespace, rs => [rs["metadata"]?["namespace"]?.ToString() ?? ""]);
        _pods = new Informer<ReplicaPod>(client, Pods, ReplicaPod.Read, loggerFactory.CreateLogger<Informer<ReplicaPod>>());
        _pods.AddIndex(ByController, pod => [ControllerKey(pod.Namespace, pod.ControllerUid)]);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(_time);
        _replicaSets.OnChange((_, now) => Enqueue(queue, now));
        _replicaSets.OnChange((old, now) =>
        {
            if (now is null)
                _expectations.Forget(KeyOf(old!));
        });
        _pods.OnChange((old, now) => PodChanged(queue, old, now));
        var watching = Task.WhenAll(_replicaSets.RunAsync(cancellationToken), _pods.RunAsync(cancellationToken), _events.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(_replicaSets.Synced, _pods.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(Workers, ReconcileAsync, _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// A pod came, changed or went: its ReplicaSet hears of it (and counts it against what it expects); an orphan
    /// that a ReplicaSet's selector matches is news to that ReplicaSet, which may adopt it.
    /// </summary>
    private void PodChanged(WorkQueue<string> queue, ReplicaPod? old, ReplicaPod? now)
    {
        if (now is null)
        {
            if (OwnerKey(old!) is { } ownerKey)
            {
                _expectations.DeletionObserved(ownerKey, old!.Key);
                queue.Add(ownerKey);
            }
            return;
        }
        if (OwnerKey(now) is { } key)
        {
            if (old is null)
                _expectations.CreationObserved(key);
            else if (now.Deleting && !old.Deleting)
                _expectations.DeletionObserved(key, now.Key);
            queue.Add(key);
        }
        else if (!now.Deleting)
        {
            foreach (var rs in MatchingReplicaSets(now))
                Enqueue(queue, rs);
        }
        if (old is not null && OwnerKey(old) is { } oldKey && oldKey != OwnerKey(now))
            queue.Add(oldKey);
    }

    private async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = Split(key);
        var rs = _replicaSets.Get(ns, name);
        if (rs is null)
        {
            _expectations.Forget(key);
            return ReconcileResult.Done;
        }
        var metadata = rs["metadata"]!;
        var uid = metadata["uid"]!.ToString();
        var selector = rs["spec"]?["selector"] is JsonObject s ? LabelSelector.FromJson(s) : null;
        if (selector is null || selector.IsEverything)
        {
            Log.InvalidSelector(_logger, key);
            return ReconcileResult.Done;
        }

        // Read the expectations before the pods: a creation seen between the two then only makes this pass wait.
        var satisfied = _expectations.Satisfied(key);
        var deleting = metadata["deletionTimestamp"] is not null;
        var (pods, owned) = (Rent(), Rent());
        try
        {
            await ClaimAsync(rs, uid, selector, deleting, pods, owned, cancellationToken);

            string? failure = null;
            if (satisfied && !deleting)
                failure = await ManageAsync(key, rs, owned, cancellationToken);

            var minReady = TimeSpan.FromSeconds(rs["spec"]?["minReadySeconds"]?.GetValue<int>() ?? 0);
            await UpdateStatusAsync(rs, ReplicaSetStatus.Of(rs, owned, _time.GetUtcNow(), minReady, failure), cancellationToken);

            // A pod ready but not yet for minReadySeconds becomes available without any event to say so.
            var now = _time.GetUtcNow();
            return minReady > TimeSpan.Zero && owned.Any(p => p.Ready && !p.AvailableAt(now, minReady))
                ? ReconcileResult.After(minReady)
                : ReconcileResult.Done;
        }
        finally
        {
            Return(pods);
            Return(owned);
        }
    }

    private List<ReplicaPod> Rent() => _lists.TryTake(out var list) ? list : [];

    /// <summary>Gives a list back emptied, so that it keeps no pod alive.</summary>
    private void Return(List<ReplicaPod> list)
    {
        list.Clear();
        _lists.Add(list);
    }

    /// <summary>
    /// Fills <paramref name="owned"/> with the active pods this ReplicaSet controls once it has adopted the orphans its
    /// selector matches and released the pods it controls but no longer matches (<paramref name="pods"/> is for the
    /// candidates). Only its own pods and the namespace's orphans are looked at, not the pods of every other ReplicaSet
    /// of the namespace.
    /// </summary>
    private async Task ClaimAsync(JsonObject rs, string uid, LabelSelector selector, bool deleting, List<ReplicaPod> pods, List<ReplicaPod> owned, CancellationToken cancellationToken)
    {
        var ns = rs["metadata"]!["namespace"]!.ToString();
        _pods.ByIndex(ByController, ControllerKey(ns, uid), pods);
        foreach (var pod in pods)
        {
            if (!pod.Active)
                continue;
            if (selector.Matches(pod.Labels))
                owned.Add(pod);
            else if (!deleting)
                await PatchOwnerAsync(pod, ReleasePatch(pod, uid), cancellationToken);
        }
        if (!deleting)
        {
            bool? canAdopt = null;
            _pods.ByIndex(ByController, ControllerKey(ns, null), pods);
            foreach (var pod in pods)
            {
                if (pod.Active && selector.Matches(pod.Labels)
                    && (canAdopt ??= await Adoption.OwnerStillAdoptsAsync(_client, $"/apis/apps/v1/namespaces/{ns}/replicasets/{rs["metadata"]!["name"]}", uid, cancellationToken))
                    && await PatchOwnerAsync(pod, AdoptPatch(pod, rs), cancellationToken))
                {
                    owned.Add(pod);
                }
            }
        }
        // The rest of the pass needs only the owned pods.
        pods.Clear();
    }

    private static string ControllerKey(string ns, string? controllerUid) => $"{ns}/{controllerUid}";

    /// <summary>Creates or deletes pods towards spec.replicas; returns why that failed, if it did.</summary>
    private async Task<string?> ManageAsync(string key, JsonObject rs, List<ReplicaPod> owned, CancellationToken cancellationToken)
    {
        var wanted = rs["spec"]?["replicas"]?.GetValue<int>() ?? 1;
        var diff = owned.Count - wanted;
        if (diff < 0)
            return await CreateAsync(key, rs, Math.Min(-diff, BurstReplicas), cancellationToken);
        if (diff > 0)
            return await DeleteAsync(key, rs, owned, Math.Min(diff, BurstReplicas), cancellationToken);
        return null;
    }

    /// <summary>Creates <paramref name="count"/> pods in batches of 1, 2, 4, ...; a batch with a failure ends it.</summary>
    private async Task<string?> CreateAsync(string key, JsonObject rs, int count, CancellationToken cancellationToken)
    {
        _expectations.ExpectCreations(key, count);
        var pod = PodTemplate.PodFor(rs);
        var path = $"/api/v1/namespaces/{rs["metadata"]!["namespace"]}/pods";
        var remaining = count;
        for (var batch = 1; remaining > 0; batch *= 2)
        {
            var size = Math.Min(batch, remaining);
            var results = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => _client.SendAsync(HttpMethod.Post, path, pod.DeepClone(), cancellationToken)));
            remaining -= size;
            string? failure = null;
            foreach (var result in results)
            {
                if (result.Succeeded)
                {
                    _events.Record(rs, "Normal", "SuccessfulCreate", $"Created pod: {result.Body!["metadata"]!["name"]}");
                    continue;
                }
                _expectations.CreationObserved(key);
                failure = result.Message;
                _events.Record(rs, "Warning", "FailedCreate", $"Error creating: {result.Message}");
            }
            if (failure is not null)
            {
                for (var skipped = 0; skipped < remaining; skipped++)
                    _expectations.CreationObserved(key);
                return failure;
            }
        }
        return null;
    }

    private async Task<string?> DeleteAsync(string key, JsonObject rs, List<ReplicaPod> owned, int count, CancellationToken cancellationToken)
    {
        var siblings = owned.Where(p => p.NodeName.Length > 0).GroupBy(p => p.NodeName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var victims = owned.Order(new DeletionOrder(siblings)).Take(count).ToList();
        _expectations.ExpectDeletions(key, victims.Select(v => v.Key));
        var results = await Task.WhenAll(victims.Select(v => _client.DeleteAsync($"/api/v1/namespaces/{v.Namespace}/pods/{v.Name}", null, cancellationToken)));
        string? failure = null;
        for (var i = 0; i < victims.Count; i++)
        {
            if (results[i].Succeeded)
            {
                _events.Record(rs, "Normal", "SuccessfulDelete", $"Deleted pod: {victims[i].Name}");
                continue;
            }
            _expectations.DeletionObserved(key, victims[i].Key);
            if (results[i].IsNotFound)
                continue;
            failure = results[i].Message;
            _events.Record(rs, "Warning", "FailedDelete", $"Error deleting: {results[i].Message}");
        }
        return failure;
    }

    /// <summary>Writes the status if it changed; a conflict means a newer ReplicaSet is on its way to the informer.</summary>
    private async Task UpdateStatusAsync(JsonObject rs, JsonObject status, CancellationToken cancellationToken)
    {
        if (JsonNode.DeepEquals(rs["status"], status))
            return;
        var updated = rs.DeepClone().AsObject();
        updated["status"] = status;
        var metadata = rs["metadata"]!;
        var result = await _client.PutAsync($"/apis/apps/v1/namespaces/{metadata["namespace"]}/replicasets/{metadata["name"]}/status", updated, cancellationToken);
        if (!result.IsConflict)
            result.ThrowIfFailed($"updating the status of replica set {metadata["namespace"]}/{metadata["name"]}", goneIsFine: true);
    }

    /// <summary>Changes a pod's owner references; false if the pod changed or went meanwhile.</summary>
    private async Task<bool> PatchOwnerAsync(ReplicaPod pod, JsonObject patch, CancellationToken cancellationToken)
    {
        var result = await _client.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{pod.Namespace}/pods/{pod.Name}", patch, cancellationToken,
            "application/strategic-merge-patch+json");
        if (result.IsNotFound || result.IsConflict || result.Code == 422)
            return false;
        result.ThrowIfFailed($"changing the owner of pod {pod.Key}");
        return true;
    }

    /// <summary>Adds this ReplicaSet as the pod's controller; the uid makes sure it is still the same pod.</summary>
    private static JsonObject AdoptPatch(ReplicaPod pod, JsonObject rs) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["ownerReferences"] = new JsonArray(PodTemplate.ControllerReference(rs)),
            ["uid"] = pod.Uid,
        },
    };

    private static JsonObject ReleasePatch(ReplicaPod pod, string ownerUid) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["ownerReferences"] = new JsonArray(new JsonObject { ["$patch"] = "delete", ["uid"] = ownerUid }),
            ["uid"] = pod.Uid,
        },
    };

    private IEnumerable<JsonObject> MatchingReplicaSets(ReplicaPod pod) =>
        _replicaSets.ByIndex(ByNamespace, pod.Namespace).Where(rs =>
            rs["spec"]?["selector"] is JsonObject s && LabelSelector.FromJson(s) is { IsEverything: false } selector && selector.Matches(pod.Labels));

    /// <summary>The key of the ReplicaSet that controls the pod, if one does and it is the one the informer knows.</summary>
    private string? OwnerKey(ReplicaPod pod)
    {
        if (pod.ControllerKind != "ReplicaSet" || pod.ControllerName is null)
            return null;
        var rs = _replicaSets.Get(pod.Namespace, pod.ControllerName);
        return rs?["metadata"]?["uid"]?.ToString() == pod.ControllerUid ? $"{pod.Namespace}/{pod.ControllerName}" : null;
    }

    private static void Enqueue(WorkQueue<string> queue, JsonObject? rs)
    {
        if (rs is not null)
            queue.Add(KeyOf(rs));
    }

    /// <summary>A ReplicaSet with its kind and apiVersion, which list items leave out (events and owner references need them).</summary>
    private static JsonObject ReadReplicaSet(System.Text.Json.JsonElement element)
    {
        var rs = JsonNode.Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))!.AsObject();
        rs["apiVersion"] = "apps/v1";
        rs["kind"] = "ReplicaSet";
        return rs;
    }

    private static string KeyOf(JsonObject rs) => $"{rs["metadata"]!["namespace"]}/{rs["metadata"]!["name"]}";

    private static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }

    private static partial class Log
    {
        [LoggerMessage(3200, LogLevel.Warning, "Replica set {Key} has an invalid or empty selector; it manages no pods")]
        public static partial void InvalidSelector(ILogger logger, string key);
    }
}
