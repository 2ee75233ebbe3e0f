using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Controllers.Pods;
using Berth.Core.Selectors;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Deployments;

/// <summary>
/// Rolls Deployments out through ReplicaSets, as upstream's controller does. Each pod template gets a ReplicaSet named
/// by its <see cref="PodTemplateHash"/> and numbered by the <c>deployment.kubernetes.io/revision</c> annotation; the
/// one whose template is the Deployment's is the new one, the others are old. RollingUpdate scales the new one up and
/// the old ones down within maxSurge and maxUnavailable (unhealthy old pods first); Recreate scales the old ones to
/// zero and waits for their pods to go before it scales the new one up. A change of replicas while paused or between
/// rollouts scales the ReplicaSets in proportion. Old ReplicaSets beyond revisionHistoryLimit are deleted, and the
/// status and its conditions follow (<see cref="DeploymentStatus"/>). Rolling back is the client's part (kubectl puts
/// an old ReplicaSet's template back), after which that ReplicaSet is the new one again, with the next revision.
/// </summary>
public sealed partial class DeploymentController
{
    private const int Workers = 5;
    private const string ByNamespace = "namespace";
    private const string Component = "deployment-controller";

    private static readonly ApiResource Deployments = new("apps", "v1", "Deployment", "deployments", true, ["list", "watch"]);
    private static readonly ApiResource ReplicaSetResource = new("apps", "v1", "ReplicaSet", "replicasets", true, ["list", "watch"]);

    /// <summary>Annotations of a Deployment that are its own and not copied onto its ReplicaSets.</summary>
    private static readonly string[] NotCopied = ["kubectl.kubernetes.io/last-applied-configuration", Replicas.RevisionAnnotation, "deployment.kubernetes.io/revision-history"];

    private readonly ApiClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EventRecorder _events;
    private readonly Informer<JsonObject> _deployments;
    private readonly Informer<JsonObject> _replicaSets;

    public DeploymentController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _logger = loggerFactory.CreateLogger<DeploymentController>();
        _time = time;
        _events = new EventRecorder(client, Component, time, loggerFactory.CreateLogger<EventRecorder>());
        _deployments = new Informer<JsonObject>(client, Deployments, e => Read(e, "Deployment"), loggerFactory.CreateLogger<Informer<JsonObject>>());
        _deployments.AddIndex(ByNamespace, d => [Namespace(d)]);
        _replicaSets = new Informer<JsonObject>(client, ReplicaSetResource, e => Read(e, "ReplicaSet"), loggerFactory.CreateLogger<Informer<JsonObject>>());
        _replicaSets.AddIndex(ByNamespace, rs => [Namespace(rs)]);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(_time);
        _deployments.OnChange((_, now) =>
        {
            if (now is not null)
                queue.Add(Key(now));
        });
        _replicaSets.OnChange((old, now) =>
        {
            foreach (var rs in (JsonObject?[])[old, now])
            {
                foreach (var owner in rs is null ? [] : Owners(rs))
                    queue.Add(owner);
            }
        });
        var watching = Task.WhenAll(_deployments.RunAsync(cancellationToken), _replicaSets.RunAsync(cancellationToken), _events.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(_deployments.Synced, _replicaSets.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(Workers, ReconcileAsync, _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var deployment = _deployments.Get(key[..slash], key[(slash + 1)..]);
        if (deployment is null)
            return ReconcileResult.Done;
        var selector = deployment["spec"]?["selector"] is JsonObject s ? LabelSelector.FromJson(s) : null;
        if (selector is null || selector.IsEverything)
        {
            Log.InvalidSelector(_logger, key);
            return ReconcileResult.Done;
        }
        var all = await ClaimAsync(deployment, selector, cancellationToken);
        var limits = RolloutLimits.Of(deployment);
        if (deployment["metadata"]?["deletionTimestamp"] is not null)
            return await UpdateStatusAsync(deployment, all, NewReplicaSet(deployment, all), limits, null, cancellationToken);

        var paused = deployment["spec"]?["paused"]?.GetValue<bool>() == true;
        var newRs = NewReplicaSet(deployment, all);
        string? progressEvent = null;
        if (!paused && newRs is null && !(deployment["spec"]?["strategy"]?["type"]?.ToString() == "Recreate" && OldPodsRemain(all, null)))
        {
            (newRs, progressEvent) = await CreateNewReplicaSetAsync(deployment, all, limits, cancellationToken);
            if (newRs is null)
                return ReconcileResult.After(TimeSpan.FromMilliseconds(100));
            all = [.. all, newRs];
        }
        else if (newRs is not null)
        {
            newRs = await SyncRevisionAsync(deployment, all, newRs, cancellationToken);
        }

        var old = all.Where(rs => !ReferenceEquals(rs, newRs)).ToList();
        if (paused || IsScalingEvent(deployment, all))
            await ScaleAsync(deployment, newRs, old, limits, cancellationToken);
        else if (deployment["spec"]?["strategy"]?["type"]?.ToString() == "Recreate")
            await RecreateAsync(deployment, newRs, old, cancellationToken);
        else
            await RollAsync(deployment, newRs!, old, limits, cancellationToken);

        var result = await UpdateStatusAsync(deployment, all, newRs, limits, progressEvent, cancellationToken);
        if (!paused && newRs is not null && DeploymentStatus.Complete(deployment, (deployment["status"] as JsonObject) ?? []))
            await CleanUpAsync(deployment, old, cancellationToken);
        return result;
    }

    /// <summary>
    /// The ReplicaSets this Deployment controls once it has adopted the orphans its selector matches and released the
    /// ones it controls but no longer matches.
    /// </summary>
    private async Task<List<JsonObject>> ClaimAsync(JsonObject deployment, LabelSelector selector, CancellationToken cancellationToken)
    {
        var uid = deployment["metadata"]!["uid"]!.ToString();
        var deleting = deployment["metadata"]?["deletionTimestamp"] is not null;
        bool? canAdopt = null;
        var owned = new List<JsonObject>();
        foreach (var rs in _replicaSets.ByIndex(ByNamespace, Namespace(deployment)))
        {
            if (rs["metadata"]?["deletionTimestamp"] is not null)
                continue;
            var labels = (rs["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
            var matches = selector.Matches(labels);
            var controller = ControllerOf(rs);
            if (controller?["uid"]?.ToString() == uid)
            {
                if (matches)
                    owned.Add(rs);
                else if (!deleting)
                    await PatchReplicaSetAsync(rs, OwnerPatch(rs, new JsonObject { ["$patch"] = "delete", ["uid"] = uid }), cancellationToken);
            }
            else if (controller is null && matches && !deleting
                && (canAdopt ??= await Adoption.OwnerStillAdoptsAsync(_client, $"/apis/apps/v1/namespaces/{Namespace(deployment)}/deployments/{Replicas.Name(deployment)}", uid, cancellationToken))
                && await PatchReplicaSetAsync(rs, OwnerPatch(rs, PodTemplate.ControllerReference(deployment)), cancellationToken))
            {
                owned.Add(rs);
            }
        }
        return owned;
    }

    /// <summary>The ReplicaSet whose template is the Deployment's (the oldest, should there be two).</summary>
    private static JsonObject? NewReplicaSet(JsonObject deployment, IEnumerable<JsonObject> all) =>
        all.Where(rs => PodTemplateHash.SameTemplate(deployment["spec"]?["template"], rs["spec"]?["template"]))
            .OrderBy(rs => rs["metadata"]?["creationTimestamp"]?.ToString(), StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>
    /// Creates the ReplicaSet for the Deployment's template with the next revision. A ReplicaSet of that name with
    /// another template is a hash collision: the collision count goes up and the next pass tries another name.
    /// </summary>
    private async Task<(JsonObject? ReplicaSet, string? Event)> CreateNewReplicaSetAsync(JsonObject deployment, List<JsonObject> all, RolloutLimits limits, CancellationToken cancellationToken)
    {
        var collisions = deployment["status"]?["collisionCount"]?.GetValue<int>() ?? 0;
        var template = deployment["spec"]!["template"]!.DeepClone().AsObject();
        var hash = PodTemplateHash.Of(template, collisions);
        var templateMetadata = template["metadata"] as JsonObject ?? (JsonObject)(template["metadata"] = new JsonObject());
        var templateLabels = templateMetadata["labels"] as JsonObject ?? (JsonObject)(templateMetadata["labels"] = new JsonObject());
        templateLabels[PodTemplateHash.Label] = hash;
        var selector = deployment["spec"]!["selector"]!.DeepClone().AsObject();
        var matchLabels = selector["matchLabels"] as JsonObject ?? (JsonObject)(selector["matchLabels"] = new JsonObject());
        matchLabels[PodTemplateHash.Label] = hash;

        var desired = Replicas.Desired(deployment);
        var replicas = deployment["spec"]?["strategy"]?["type"]?.ToString() == "Recreate"
            ? desired
            : Math.Max(0, Math.Min(desired + limits.MaxSurge - Replicas.Sum(all), desired));
        var annotations = CopiedAnnotations(deployment);
        annotations[Replicas.RevisionAnnotation] = (all.Select(Replicas.Revision).DefaultIfEmpty(0).Max() + 1).ToString(CultureInfo.InvariantCulture);
        annotations[Replicas.DesiredAnnotation] = desired.ToString(CultureInfo.InvariantCulture);
        annotations[Replicas.MaxAnnotation] = (desired + limits.MaxSurge).ToString(CultureInfo.InvariantCulture);
        var name = $"{Replicas.Name(deployment)}-{hash}";
        var rs = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = Namespace(deployment),
                ["labels"] = templateLabels.DeepClone(),
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(PodTemplate.ControllerReference(deployment)),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["minReadySeconds"] = deployment["spec"]?["minReadySeconds"]?.DeepClone() ?? 0,
                ["selector"] = selector,
                ["template"] = template,
            },
        };
        var created = await _client.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{Namespace(deployment)}/replicasets", rs, cancellationToken);
        if (created.Succeeded)
        {
            _events.Record(deployment, "Normal", "ScalingReplicaSet", $"Scaled up replica set {name} from 0 to {replicas}");
            var stored = created.Body!.AsObject();
            stored["apiVersion"] = "apps/v1";
            stored["kind"] = "ReplicaSet";
            return (stored, "NewReplicaSetCreated");
        }
        if (!created.IsConflict)
        {
            created.ThrowIfFailed($"creating replica set {name}");
        }
        var existing = await _client.GetAsync($"/apis/apps/v1/namespaces/{Namespace(deployment)}/replicasets/{name}", cancellationToken);
        existing.ThrowIfFailed($"reading replica set {name}");
        if (ControllerOf(existing.Body!.AsObject())?["uid"]?.ToString() == deployment["metadata"]!["uid"]!.ToString()
            && PodTemplateHash.SameTemplate(deployment["spec"]?["template"], existing.Body!["spec"]?["template"]))
        {
            return (null, null);
        }
        var status = (deployment["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        status["collisionCount"] = collisions + 1;
        await PutStatusAsync(deployment, status, cancellationToken);
        return (null, null);
    }

    /// <summary>The new ReplicaSet gets the next revision if an old one has caught up with it, and the Deployment its revision.</summary>
    private async Task<JsonObject> SyncRevisionAsync(JsonObject deployment, List<JsonObject> all, JsonObject newRs, CancellationToken cancellationToken)
    {
        var highestOld = all.Where(rs => !ReferenceEquals(rs, newRs)).Select(Replicas.Revision).DefaultIfEmpty(0).Max();
        var revision = Replicas.Revision(newRs);
        if (revision <= highestOld)
        {
            revision = highestOld + 1;
            var annotations = CopiedAnnotations(deployment);
            annotations[Replicas.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
            await PatchReplicaSetAsync(newRs, new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } }, cancellationToken);
        }
        if (Replicas.Revision(deployment) != revision)
        {
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Replicas.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture) } } };
            var result = await _client.MergePatchAsync($"/apis/apps/v1/namespaces/{Namespace(deployment)}/deployments/{Replicas.Name(deployment)}", patch, cancellationToken);
            result.ThrowIfFailed($"setting the revision of deployment {Key(deployment)}", goneIsFine: true);
        }
        return newRs;
    }

    /// <summary>
    /// One step of a rolling update: the new ReplicaSet up to what maxSurge allows, then the old ones down to what
    /// maxUnavailable allows, unhealthy pods first.
    /// </summary>
    private async Task RollAsync(JsonObject deployment, JsonObject newRs, List<JsonObject> old, RolloutLimits limits, CancellationToken cancellationToken)
    {
        var desired = Replicas.Desired(deployment);
        var all = old.Append(newRs).ToList();
        var newReplicas = Replicas.Desired(newRs);
        if (newReplicas > desired)
        {
            await ScaleReplicaSetAsync(deployment, newRs, desired, limits, cancellationToken);
            return;
        }
        if (newReplicas < desired)
        {
            var room = desired + limits.MaxSurge - Replicas.Sum(all);
            if (room > 0)
            {
                await ScaleReplicaSetAsync(deployment, newRs, newReplicas + Math.Min(room, desired - newReplicas), limits, cancellationToken);
                return;
            }
        }

        var oldReplicas = Replicas.Sum(old);
        if (oldReplicas == 0)
            return;
        var minAvailable = desired - limits.MaxUnavailable;
        var newUnavailable = Replicas.Desired(newRs) - Replicas.Status(newRs, "availableReplicas");
        var maxScaledDown = Replicas.Sum(all) - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
            return;
        var ordered = old.Where(rs => Replicas.Desired(rs) > 0).OrderBy(rs => rs["metadata"]?["creationTimestamp"]?.ToString(), StringComparer.Ordinal).ToList();

        // Old pods that are not available count against nothing: remove them first.
        var cleaned = 0;
        var sizes = ordered.ToDictionary<JsonObject, JsonObject, int>(rs => rs, Replicas.Desired, ReferenceEqualityComparer.Instance);
        foreach (var rs in ordered)
        {
            if (cleaned >= maxScaledDown)
                break;
            var unhealthy = Replicas.Desired(rs) - Replicas.Status(rs, "availableReplicas");
            var down = Math.Min(Math.Max(0, unhealthy), maxScaledDown - cleaned);
            if (down > 0)
            {
                sizes[rs] -= down;
                cleaned += down;
            }
        }

        // Then available ones, as long as enough stay available.
        var availableNow = all.Sum(rs => Replicas.Status(rs, "availableReplicas"));
        var canRemove = Math.Min(maxScaledDown - cleaned, availableNow - minAvailable);
        foreach (var rs in ordered)
        {
            if (canRemove <= 0)
                break;
            var down = Math.Min(sizes[rs], canRemove);
            sizes[rs] -= down;
            canRemove -= down;
        }
        foreach (var rs in ordered)
        {
            if (sizes[rs] != Replicas.Desired(rs))
                await ScaleReplicaSetAsync(deployment, rs, sizes[rs], limits, cancellationToken);
        }
    }

    /// <summary>Recreate: every old ReplicaSet to zero; once their pods are gone, the new one to the desired replicas.</summary>
    private async Task RecreateAsync(JsonObject deployment, JsonObject? newRs, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var limits = RolloutLimits.Of(deployment);
        foreach (var rs in old.Where(rs => Replicas.Desired(rs) > 0))
            await ScaleReplicaSetAsync(deployment, rs, 0, limits, cancellationToken);
        if (newRs is not null && !OldPodsRemain(old, newRs) && Replicas.Desired(newRs) != Replicas.Desired(deployment))
            await ScaleReplicaSetAsync(deployment, newRs, Replicas.Desired(deployment), limits, cancellationToken);
    }

    /// <summary>
    /// The replicas changed while no rollout moves (paused, or between steps): with one active ReplicaSet it takes
    /// the new count; otherwise what is added or taken away is shared in proportion to their sizes, the rest of a
    /// rounding going to the largest (upstream's proportional scaling).
    /// </summary>
    private async Task ScaleAsync(JsonObject deployment, JsonObject? newRs, List<JsonObject> old, RolloutLimits limits, CancellationToken cancellationToken)
    {
        var desired = Replicas.Desired(deployment);
        var all = old.Concat(newRs is null ? [] : [newRs]).ToList();
        var active = all.Where(rs => Replicas.Desired(rs) > 0).ToList();
        var target = active.Count == 1 ? active[0] : active.Count == 0 ? newRs ?? old.OrderByDescending(Replicas.Revision).FirstOrDefault() : null;
        if (target is not null)
        {
            if (Replicas.Desired(target) != desired)
                await ScaleReplicaSetAsync(deployment, target, desired, limits, cancellationToken);
            return;
        }
        if (newRs is not null && Replicas.Desired(newRs) == desired && Replicas.Status(newRs, "availableReplicas") == desired)
        {
            foreach (var rs in old.Where(rs => Replicas.Desired(rs) > 0))
                await ScaleReplicaSetAsync(deployment, rs, 0, limits, cancellationToken);
            return;
        }

        var allowed = desired + limits.MaxSurge;
        var current = Replicas.Sum(active);
        var toAdd = allowed - current;
        if (toAdd == 0)
            return;
        var ordered = active.OrderByDescending(Replicas.Desired).ThenBy(rs => rs["metadata"]?["creationTimestamp"]?.ToString(), StringComparer.Ordinal).ToList();
        var sizes = new Dictionary<JsonObject, int>(ReferenceEqualityComparer.Instance);
        var added = 0;
        foreach (var rs in ordered)
        {
            var share = (int)Math.Round((double)Replicas.Desired(rs) * toAdd / current, MidpointRounding.ToZero);
            share = toAdd > 0 ? Math.Min(share, toAdd - added) : Math.Max(share, toAdd - added);
            sizes[rs] = Replicas.Desired(rs) + share;
            added += share;
        }
        if (added != toAdd)
            sizes[ordered[0]] += toAdd - added;
        foreach (var rs in ordered)
        {
            var size = Math.Max(0, sizes[rs]);
            if (size != Replicas.Desired(rs))
                await ScaleReplicaSetAsync(deployment, rs, size, limits, cancellationToken);
        }
    }

    /// <summary>Old ReplicaSets beyond revisionHistoryLimit (10 by default) go, oldest revision first, once they are empty.</summary>
    private async Task CleanUpAsync(JsonObject deployment, List<JsonObject> old, CancellationToken cancellationToken)
    {
        var limit = deployment["spec"]?["revisionHistoryLimit"]?.GetValue<int>() ?? 10;
        var empty = old.Where(rs => Replicas.Desired(rs) == 0 && Replicas.Status(rs, "replicas") == 0).OrderBy(Replicas.Revision).ToList();
        foreach (var rs in empty.Take(Math.Max(0, empty.Count - limit)))
        {
            var deleted = await _client.DeleteAsync($"/apis/apps/v1/namespaces/{Namespace(rs)}/replicasets/{Replicas.Name(rs)}", null, cancellationToken);
            deleted.ThrowIfFailed($"deleting old replica set {Key(rs)}", goneIsFine: true);
        }
    }

    private async Task ScaleReplicaSetAsync(JsonObject deployment, JsonObject rs, int replicas, RolloutLimits limits, CancellationToken cancellationToken)
    {
        var desired = Replicas.Desired(deployment);
        var from = Replicas.Desired(rs);
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject
                {
                    [Replicas.DesiredAnnotation] = desired.ToString(CultureInfo.InvariantCulture),
                    [Replicas.MaxAnnotation] = (desired + limits.MaxSurge).ToString(CultureInfo.InvariantCulture),
                },
            },
            ["spec"] = new JsonObject { ["replicas"] = replicas },
        };
        if (await PatchReplicaSetAsync(rs, patch, cancellationToken))
            _events.Record(deployment, "Normal", "ScalingReplicaSet", $"Scaled {(replicas > from ? "up" : "down")} replica set {Replicas.Name(rs)} from {from} to {replicas}");
    }

    private async Task<ReconcileResult> UpdateStatusAsync(JsonObject deployment, List<JsonObject> all, JsonObject? newRs, RolloutLimits limits, string? progressEvent,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var status = DeploymentStatus.Of(deployment, all, newRs, limits, now, progressEvent);
        if (!JsonNode.DeepEquals(deployment["status"], status))
            await PutStatusAsync(deployment, status, cancellationToken);
        return DeploymentStatus.Deadline(deployment, status) is { } deadline
            ? ReconcileResult.After(deadline - now + TimeSpan.FromMilliseconds(100))
            : ReconcileResult.Done;
    }

    private async Task PutStatusAsync(JsonObject deployment, JsonObject status, CancellationToken cancellationToken)
    {
        var updated = deployment.DeepClone().AsObject();
        updated["status"] = status;
        var result = await _client.PutAsync($"/apis/apps/v1/namespaces/{Namespace(deployment)}/deployments/{Replicas.Name(deployment)}/status", updated, cancellationToken);
        if (!result.IsConflict)
            result.ThrowIfFailed($"updating the status of deployment {Key(deployment)}", goneIsFine: true);
    }

    /// <summary>Changes a ReplicaSet by a strategic merge patch; false if it changed or went meanwhile.</summary>
    private async Task<bool> PatchReplicaSetAsync(JsonObject rs, JsonObject patch, CancellationToken cancellationToken)
    {
        var result = await _client.SendAsync(HttpMethod.Patch, $"/apis/apps/v1/namespaces/{Namespace(rs)}/replicasets/{Replicas.Name(rs)}", patch, cancellationToken,
            "application/strategic-merge-patch+json");
        if (result.IsNotFound || result.IsConflict || result.Code == 422)
            return false;
        result.ThrowIfFailed($"changing replica set {Key(rs)}");
        return true;
    }

    /// <summary>Whether pods of ReplicaSets other than <paramref name="newRs"/> are still there (Recreate waits for them).</summary>
    private static bool OldPodsRemain(IEnumerable<JsonObject> all, JsonObject? newRs) =>
        all.Any(rs => !ReferenceEquals(rs, newRs) && (Replicas.Desired(rs) > 0 || Replicas.Status(rs, "replicas") > 0));

    /// <summary>Whether some active ReplicaSet was sized for another number of replicas than the Deployment now has.</summary>
    private static bool IsScalingEvent(JsonObject deployment, IEnumerable<JsonObject> all) =>
        all.Where(rs => Replicas.Desired(rs) > 0).Any(rs =>
            rs["metadata"]?["annotations"]?[Replicas.DesiredAnnotation]?.ToString() is { } annotated
            && annotated != Replicas.Desired(deployment).ToString(CultureInfo.InvariantCulture));

    private static JsonObject CopiedAnnotations(JsonObject deployment)
    {
        var copied = new JsonObject();
        foreach (var (name, value) in deployment["metadata"]?["annotations"] as JsonObject ?? [])
        {
            if (!NotCopied.Contains(name))
                copied[name] = value?.DeepClone();
        }
        return copied;
    }

    private static JsonObject OwnerPatch(JsonObject rs, JsonObject reference) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["ownerReferences"] = new JsonArray(reference),
            ["uid"] = rs["metadata"]!["uid"]!.DeepClone(),
        },
    };

    /// <summary>The Deployments to look at for a ReplicaSet: its controller, or for an orphan, those whose selector matches it.</summary>
    private IEnumerable<string> Owners(JsonObject rs)
    {
        if (ControllerOf(rs) is { } controller)
            return controller["kind"]?.ToString() == "Deployment" ? [$"{Namespace(rs)}/{controller["name"]}"] : [];
        var labels = (rs["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(l => l.Key, l => l.Value?.ToString() ?? "", StringComparer.Ordinal);
        return _deployments.ByIndex(ByNamespace, Namespace(rs))
            .Where(d => d["spec"]?["selector"] is JsonObject s && LabelSelector.FromJson(s) is { IsEverything: false } selector && selector.Matches(labels))
            .Select(Key);
    }

    private static JsonObject? ControllerOf(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(o => o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController);

    /// <summary>An object with its kind and apiVersion, which list items leave out (events and owner references need them).</summary>
    private static JsonObject Read(JsonElement element, string kind)
    {
        var obj = JsonNode.Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))!.AsObject();
        obj["apiVersion"] = "apps/v1";
        obj["kind"] = kind;
        return obj;
    }

    private static string Namespace(JsonObject obj) => obj["metadata"]!["namespace"]!.ToString();

    private static string Key(JsonObject obj) => $"{Namespace(obj)}/{Replicas.Name(obj)}";

    private static partial class Log
    {
        [LoggerMessage(3300, LogLevel.Warning, "Deployment {Key} has an invalid or empty selector; it manages nothing")]
        public static partial void InvalidSelector(ILogger logger, string key);
    }
}
