using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Core.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Volumes;

/// <summary>
/// Binds PersistentVolumeClaims to PersistentVolumes, as upstream's persistentvolume-binder does for volumes made
/// beforehand (there is no dynamic provisioning): an unbound claim gets the smallest available volume that satisfies
/// it (<see cref="ClaimMatch"/>), a volume pre-bound to it (<c>claimRef</c>) first; the volume's <c>claimRef</c> is
/// written first, then the claim's <c>volumeName</c>, then both phases become <c>Bound</c>. A volume whose claim is
/// gone becomes <c>Released</c> (<c>Retain</c>), or <c>Failed</c> under <c>Delete</c> and <c>Recycle</c>, which
/// volumes made by hand have no plugin for; its data is never touched. Every StorageClass binds at once: a
/// <c>WaitForFirstConsumer</c> class is bound like an <c>Immediate</c> one.
/// </summary>
public sealed class PersistentVolumeBinder
{
    private const string Component = "persistentvolume-controller";
    private const string BoundByController = "pv.kubernetes.io/bound-by-controller";
    private const string BindCompleted = "pv.kubernetes.io/bind-completed";
    private const string ClaimPrefix = "claim:";
    private const string VolumePrefix = "volume:";

    private static readonly ApiResource Volumes = new("", "v1", "PersistentVolume", "persistentvolumes", false, ["list", "watch"]);
    private static readonly ApiResource Claims = new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, ["list", "watch"]);
    private static readonly ApiResource Classes = new("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, ["list", "watch"]);

    private readonly ApiClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EventRecorder _events;
    private readonly Informer<JsonObject> _volumes;
    private readonly Informer<JsonObject> _claims;
    private readonly Informer<JsonObject> _classes;

    public PersistentVolumeBinder(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _logger = loggerFactory.CreateLogger<PersistentVolumeBinder>();
        _time = time;
        _events = new EventRecorder(client, Component, time, loggerFactory.CreateLogger<EventRecorder>());
        _volumes = new Informer<JsonObject>(client, Volumes, e => Read(e, "PersistentVolume"), loggerFactory.CreateLogger<Informer<JsonObject>>());
        _claims = new Informer<JsonObject>(client, Claims, e => Read(e, "PersistentVolumeClaim"), loggerFactory.CreateLogger<Informer<JsonObject>>());
        _classes = new Informer<JsonObject>(client, Classes, e => Read(e, "StorageClass"), loggerFactory.CreateLogger<Informer<JsonObject>>());
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(_time);
        void AllUnbound()
        {
            foreach (var claim in _claims.Items().Where(c => VolumeName(c) is null))
                queue.Add(ClaimPrefix + Key(claim));
        }
        _claims.OnChange((old, now) =>
        {
            queue.Add(ClaimPrefix + Key((now ?? old)!));
            // A claim gone or changed may leave its volume released.
            if ((now ?? old) is { } claim && VolumeName(claim) is { } volume)
                queue.Add(VolumePrefix + volume);
            if (old is not null && VolumeName(old) is { } before)
                queue.Add(VolumePrefix + before);
        });
        _volumes.OnChange((old, now) =>
        {
            var volume = (now ?? old)!;
            queue.Add(VolumePrefix + Name(volume));
            if (ClaimRef(volume) is { } claim)
                queue.Add(ClaimPrefix + $"{claim.Namespace}/{claim.Name}");
            // A new or freed volume may satisfy any claim still waiting.
            if (now is not null && ClaimRef(now) is null)
                AllUnbound();
        });
        _classes.OnChange((_, _) => AllUnbound());
        var watching = Task.WhenAll(_volumes.RunAsync(cancellationToken), _claims.RunAsync(cancellationToken), _classes.RunAsync(cancellationToken),
            _events.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(_volumes.Synced, _claims.Synced, _classes.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(1, ReconcileAsync, _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    // One worker: two claims never race for one volume.
    private Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) =>
        key.StartsWith(ClaimPrefix, StringComparison.Ordinal)
            ? ReconcileClaimAsync(key[ClaimPrefix.Length..], cancellationToken)
            : ReconcileVolumeAsync(key[VolumePrefix.Length..], cancellationToken);

    private async Task<ReconcileResult> ReconcileClaimAsync(string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (_claims.Get(key[..slash], key[(slash + 1)..]) is not { } claim || claim["metadata"]?["deletionTimestamp"] is not null)
            return ReconcileResult.Done;
        if (VolumeName(claim) is not { } volumeName)
        {
            if (ClaimMatch.Best(claim, _volumes.Items()) is { } volume)
                return await BindAsync(volume, claim, cancellationToken);
            await SetPhaseAsync(ClaimPath(claim), claim, "Pending", cancellationToken);
            Waiting(claim);
            return ReconcileResult.Done;
        }
        if (_volumes.Get(null, volumeName) is not { } bound)
        {
            // Bound once, its volume is gone: the data went with it, as upstream warns.
            if (claim["metadata"]?["annotations"]?[BindCompleted] is not null && Phase(claim) != "Lost")
            {
                _events.Record(claim, "Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
                await SetPhaseAsync(ClaimPath(claim), claim, "Lost", cancellationToken);
            }
            else if (Phase(claim) is null)
            {
                await SetPhaseAsync(ClaimPath(claim), claim, "Pending", cancellationToken);
            }
            return ReconcileResult.Done;
        }
        var claimRef = ClaimRef(bound);
        if (claimRef is null && ClaimMatch.Satisfies(bound, claim))
            return await BindAsync(bound, claim, cancellationToken);
        if (claimRef is { } owner && owner.Namespace == Namespace(claim) && owner.Name == Name(claim) && owner.Uid is var uid && (uid is null || uid == Uid(claim)))
            return await BindAsync(bound, claim, cancellationToken);
        // Asked for a volume that is someone else's or does not fit: it waits.
        await SetPhaseAsync(ClaimPath(claim), claim, "Pending", cancellationToken);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ReconcileVolumeAsync(string name, CancellationToken cancellationToken)
    {
        // A volume being deleted still changes phase: protection lets it go once it is no longer Bound.
        if (_volumes.Get(null, name) is not { } volume)
            return ReconcileResult.Done;
        var path = $"/api/v1/persistentvolumes/{name}";
        if (ClaimRef(volume) is not { } claimRef)
        {
            await SetPhaseAsync(path, volume, "Available", cancellationToken);
            return ReconcileResult.Done;
        }
        var claim = _claims.Get(claimRef.Namespace, claimRef.Name);
        if (claimRef.Uid is null)
        {
            // Pre-bound by its author to a claim that may not exist yet.
            if (claim is null || VolumeName(claim) != name)
                await SetPhaseAsync(path, volume, "Available", cancellationToken);
            return ReconcileResult.Done;
        }
        if (claim is not null && Uid(claim) == claimRef.Uid)
        {
            if (VolumeName(claim) == name)
                await SetPhaseAsync(path, volume, "Bound", cancellationToken);
            return ReconcileResult.Done;
        }
        // Its claim is gone.
        if (Phase(volume) is "Released" or "Failed")
            return ReconcileResult.Done;
        var policy = volume["spec"]?["persistentVolumeReclaimPolicy"]?.ToString() ?? "Retain";
        if (policy == "Retain")
        {
            await SetPhaseAsync(path, volume, "Released", cancellationToken);
            return ReconcileResult.Done;
        }
        var message = policy == "Delete"
            ? $"error getting deleter volume plugin for volume \"{name}\": no deletable volume plugin matched"
            : $"error getting recycler volume plugin for volume \"{name}\": no recyclable volume plugin matched";
        _events.Record(volume, "Warning", policy == "Delete" ? "VolumeFailedDelete" : "VolumeFailedRecycle", message);
        await SetPhaseAsync(path, volume, "Failed", cancellationToken, message);
        return ReconcileResult.Done;
    }

    /// <summary>Binds the two, volume first (so that no other claim takes it), then the claim; each write is skipped when done already.</summary>
    private async Task<ReconcileResult> BindAsync(JsonObject volume, JsonObject claim, CancellationToken cancellationToken)
    {
        var volumeName = Name(volume);
        var volumePath = $"/api/v1/persistentvolumes/{volumeName}";
        if (ClaimRef(volume) is not { Uid: not null })
        {
            var updated = (JsonObject)volume.DeepClone();
            if (ClaimRef(volume) is null)
                Annotations(updated)[BoundByController] = "yes";
            updated["spec"]!["claimRef"] = new JsonObject
            {
                ["kind"] = "PersistentVolumeClaim",
                ["namespace"] = Namespace(claim),
                ["name"] = Name(claim),
                ["uid"] = Uid(claim),
                ["apiVersion"] = "v1",
                ["resourceVersion"] = claim["metadata"]?["resourceVersion"]?.ToString(),
            };
            var written = await _client.PutAsync(volumePath, updated, cancellationToken);
            written.ThrowIfFailed($"binding volume {volumeName} to claim {Key(claim)}");
            volume = written.Body!.AsObject();
        }
        await SetPhaseAsync(volumePath, volume, "Bound", cancellationToken);

        var claimPath = ClaimPath(claim);
        if (VolumeName(claim) is null || claim["metadata"]?["annotations"]?[BindCompleted] is null)
        {
            var updated = (JsonObject)claim.DeepClone();
            var annotations = Annotations(updated);
            if (VolumeName(claim) is null)
                annotations[BoundByController] = "yes";
            annotations[BindCompleted] = "yes";
            updated["spec"]!["volumeName"] = volumeName;
            var written = await _client.PutAsync(claimPath, updated, cancellationToken);
            written.ThrowIfFailed($"binding claim {Key(claim)} to volume {volumeName}");
            claim = written.Body!.AsObject();
        }
        var status = new JsonObject
        {
            ["phase"] = "Bound",
            ["accessModes"] = volume["spec"]?["accessModes"]?.DeepClone(),
            ["capacity"] = volume["spec"]?["capacity"]?.DeepClone(),
        };
        if (!JsonNode.DeepEquals(status, claim["status"]))
        {
            var updated = (JsonObject)claim.DeepClone();
            updated["status"] = status;
            (await _client.PutAsync(claimPath + "/status", updated, cancellationToken)).ThrowIfFailed($"reporting claim {Key(claim)} bound");
        }
        return ReconcileResult.Done;
    }

    /// <summary>Why a claim has no volume, as upstream's binder says it.</summary>
    private void Waiting(JsonObject claim)
    {
        var className = claim["spec"]?["storageClassName"]?.ToString() ?? "";
        if (className.Length == 0)
        {
            _events.Record(claim, "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
            return;
        }
        if (_classes.Get(null, className) is not { } storageClass)
        {
            _events.Record(claim, "Warning", "ProvisioningFailed", $"storageclass.storage.k8s.io \"{className}\" not found");
            return;
        }
        var provisioner = storageClass["provisioner"]?.ToString() ?? "";
        _events.Record(claim, "Normal", "ExternalProvisioning",
            $"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. "
            + "If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
    }

    private async Task SetPhaseAsync(string path, JsonObject obj, string phase, CancellationToken cancellationToken, string? message = null)
    {
        if (Phase(obj) == phase && obj["status"]?["message"]?.ToString() == message)
            return;
        var updated = (JsonObject)obj.DeepClone();
        var status = updated["status"] as JsonObject ?? [];
        status["phase"] = phase;
        status.Remove("message");
        if (message is not null)
            status["message"] = message;
        if (updated["kind"]?.ToString() == "PersistentVolume")
            status["lastPhaseTransitionTime"] = WireTime.Time(_time.GetUtcNow());
        updated["status"] = status;
        var written = await _client.PutAsync(path + "/status", updated, cancellationToken);
        written.ThrowIfFailed($"setting {path} {phase}", goneIsFine: true);
    }

    private static JsonObject Read(JsonElement element, string kind)
    {
        var obj = JsonNode.Parse(element.GetRawText())!.AsObject();
        obj["kind"] = kind;
        obj["apiVersion"] = "v1";
        if (kind == "StorageClass")
            obj["apiVersion"] = "storage.k8s.io/v1";
        return obj;
    }

    private static JsonObject Annotations(JsonObject obj)
    {
        var metadata = (JsonObject)obj["metadata"]!;
        if (metadata["annotations"] is not JsonObject annotations)
            metadata["annotations"] = annotations = [];
        return annotations;
    }

    internal static (string Namespace, string Name, string? Uid)? ClaimRef(JsonObject volume) =>
        volume["spec"]?["claimRef"] is JsonObject claimRef
            ? (claimRef["namespace"]?.ToString() ?? "", claimRef["name"]?.ToString() ?? "", claimRef["uid"]?.ToString() is { Length: > 0 } uid ? uid : null)
            : null;

    internal static string? VolumeName(JsonObject claim) => claim["spec"]?["volumeName"]?.ToString() is { Length: > 0 } name ? name : null;

    private static string? Phase(JsonObject obj) => obj["status"]?["phase"]?.ToString();

    private static string Name(JsonObject obj) => obj["metadata"]!["name"]!.GetValue<string>();

    private static string Namespace(JsonObject obj) => obj["metadata"]!["namespace"]!.GetValue<string>();

    internal static string Uid(JsonObject obj) => obj["metadata"]?["uid"]?.ToString() ?? "";

    private static string Key(JsonObject claim) => $"{Namespace(claim)}/{Name(claim)}";

    private static string ClaimPath(JsonObject claim) => $"/api/v1/namespaces/{Namespace(claim)}/persistentvolumeclaims/{Name(claim)}";
}
