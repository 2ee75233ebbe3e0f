using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Volumes;

/// <summary>
/// Upstream's pvc-protection and pv-protection controllers: a PersistentVolumeClaim being deleted keeps its
/// <c>kubernetes.io/pvc-protection</c> finalizer while a pod that has not finished uses it (looked at again every
/// few seconds), and a PersistentVolume being deleted keeps <c>kubernetes.io/pv-protection</c> while it is bound.
/// </summary>
public sealed class VolumeProtectionController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
{
    public const string ClaimFinalizer = "kubernetes.io/pvc-protection";
    public const string VolumeFinalizer = "kubernetes.io/pv-protection";

    private const string ClaimPrefix = "claim:";
    private static readonly TimeSpan InUseRecheck = TimeSpan.FromSeconds(2);
    private static readonly ApiResource Volumes = new("", "v1", "PersistentVolume", "persistentvolumes", false, ["list", "watch"]);
    private static readonly ApiResource Claims = new("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<VolumeProtectionController>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var volumes = new Informer<Protected>(client, Volumes, e => Protected.Read(e, VolumeFinalizer), loggerFactory.CreateLogger<Informer<Protected>>());
        var claims = new Informer<Protected>(client, Claims, e => Protected.Read(e, ClaimFinalizer), loggerFactory.CreateLogger<Informer<Protected>>());
        using var queue = new WorkQueue<string>(time);
        volumes.OnChange((_, now) =>
        {
            if (now is { Deleting: true, Finalized: true })
                queue.Add(now.Name);
        });
        claims.OnChange((_, now) =>
        {
            if (now is { Deleting: true, Finalized: true })
                queue.Add($"{ClaimPrefix}{now.Namespace}/{now.Name}");
        });
        var watching = Task.WhenAll(volumes.RunAsync(cancellationToken), claims.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(volumes.Synced, claims.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(2, (key, ct) => key.StartsWith(ClaimPrefix, StringComparison.Ordinal)
                ? ReleaseClaimAsync(claims, key[ClaimPrefix.Length..], ct)
                : ReleaseVolumeAsync(volumes, key, ct), _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> ReleaseClaimAsync(Informer<Protected> claims, string key, CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        if (claims.Get(ns, name) is not { Deleting: true, Finalized: true } claim)
            return ReconcileResult.Done;
        var pods = await client.GetAsync($"/api/v1/namespaces/{ns}/pods", cancellationToken);
        pods.ThrowIfFailed($"listing the pods of {ns} to see whether claim {name} is in use");
        var inUse = (pods.Body?["items"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(p => p["status"]?["phase"]?.ToString() is not ("Succeeded" or "Failed"))
            .Any(p => (p["spec"]?["volumes"] as JsonArray ?? []).Any(v => v?["persistentVolumeClaim"]?["claimName"]?.ToString() == name));
        if (inUse)
            return ReconcileResult.After(InUseRecheck);
        await RemoveFinalizerAsync($"/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}", claim, ClaimFinalizer, cancellationToken);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ReleaseVolumeAsync(Informer<Protected> volumes, string name, CancellationToken cancellationToken)
    {
        if (volumes.Get(null, name) is not { Deleting: true, Finalized: true } volume)
            return ReconcileResult.Done;
        // Bound, it is still someone's: it goes once its claim has let it go.
        if (volume.Phase == "Bound")
            return ReconcileResult.Done;
        await RemoveFinalizerAsync($"/api/v1/persistentvolumes/{name}", volume, VolumeFinalizer, cancellationToken);
        return ReconcileResult.Done;
    }

    /// <summary>Removes the finalizer, at the version seen (a conflict means a newer one to look at).</summary>
    private async Task RemoveFinalizerAsync(string path, Protected obj, string finalizer, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray([.. obj.Finalizers.Where(f => f != finalizer).Select(f => (JsonNode)JsonValue.Create(f))]),
                ["resourceVersion"] = obj.ResourceVersion,
            },
        };
        var patched = await client.MergePatchAsync(path, patch, cancellationToken);
        patched.ThrowIfFailed($"removing {finalizer} from {path}", goneIsFine: true);
    }

    /// <summary>What protection needs of a claim or volume: whether it is being deleted and still holds the finalizer.</summary>
    private sealed record Protected(string? Namespace, string Name, string ResourceVersion, bool Deleting, bool Finalized, string[] Finalizers, string? Phase)
    {
        public static Protected Read(JsonElement obj, string finalizer)
        {
            var metadata = obj.GetProperty("metadata");
            var finalizers = metadata.TryGetProperty("finalizers", out var list) ? list.EnumerateArray().Select(f => f.GetString() ?? "").ToArray() : [];
            return new Protected(
                metadata.TryGetProperty("namespace", out var ns) ? ns.GetString() : null,
                metadata.GetProperty("name").GetString()!,
                metadata.TryGetProperty("resourceVersion", out var version) ? version.GetString() ?? "" : "",
                metadata.TryGetProperty("deletionTimestamp", out _),
                finalizers.Contains(finalizer),
                finalizers,
                obj.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) ? phase.GetString() : null);
        }
    }
}
