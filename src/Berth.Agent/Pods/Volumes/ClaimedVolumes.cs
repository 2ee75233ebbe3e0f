using System.Text.Json.Nodes;
using Berth.Client;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// <c>persistentVolumeClaim</c> volumes: the claim must be bound, and its PersistentVolume bound to it; a
/// <c>hostPath</c> volume is then set up as the pod's own hostPath volumes are (with its type checks), a <c>local</c>
/// one must exist already. Other kinds of PersistentVolume need plugins Berth does not have.
/// </summary>
internal sealed class ClaimedVolumes(ApiClient client)
{
    /// <summary>The host path of the claim's volume, and whether the claim forces it read-only.</summary>
    public async Task<PodVolume> SetUpAsync(JsonObject source, string ns, CancellationToken cancellationToken)
    {
        var name = source["claimName"]?.ToString() ?? "";
        var claimAnswer = await client.GetAsync($"/api/v1/namespaces/{ns}/persistentvolumeclaims/{Uri.EscapeDataString(name)}", cancellationToken);
        if (claimAnswer.IsNotFound)
            throw new VolumeException($"persistentvolumeclaim \"{name}\" not found");
        claimAnswer.ThrowIfFailed($"reading claim {ns}/{name}");
        var claim = claimAnswer.Body!;
        if (claim["metadata"]?["deletionTimestamp"] is not null)
            throw new VolumeException($"persistentvolumeclaim \"{name}\" is being deleted");
        var phase = claim["status"]?["phase"]?.ToString() ?? "";
        var volumeName = claim["spec"]?["volumeName"]?.ToString() ?? "";
        if (phase != "Bound" || volumeName.Length == 0)
            throw new VolumeException($"PVC {ns}/{name} has non-bound phase (\"{phase}\") or empty pvc.Spec.VolumeName (\"{volumeName}\")");
        var volumeAnswer = await client.GetAsync($"/api/v1/persistentvolumes/{Uri.EscapeDataString(volumeName)}", cancellationToken);
        if (volumeAnswer.IsNotFound)
            throw new VolumeException($"persistentvolume \"{volumeName}\" not found");
        volumeAnswer.ThrowIfFailed($"reading volume {volumeName}");
        var volume = volumeAnswer.Body!;
        if (volume["spec"]?["claimRef"]?["uid"]?.ToString() != claim["metadata"]?["uid"]?.ToString())
            throw new VolumeException($"persistentvolume \"{volumeName}\" is not bound to claim {ns}/{name}");

        var readOnly = source["readOnly"]?.GetValue<bool>() == true;
        if (volume["spec"]?["hostPath"] is JsonObject hostPath)
            return new PodVolume(await HostPathVolume.SetUpAsync(hostPath["path"]?.ToString() ?? "", hostPath["type"]?.ToString() ?? ""), readOnly);
        if (volume["spec"]?["local"]?["path"]?.ToString() is { Length: > 0 } local)
        {
            if (!Directory.Exists(local) && !File.Exists(local))
                throw new VolumeException($"local volume \"{volumeName}\": path \"{local}\" does not exist");
            return new PodVolume(local, readOnly);
        }
        var kind = (volume["spec"] as JsonObject ?? []).Select(p => p.Key).FirstOrDefault(k => k is not ("capacity" or "accessModes" or "claimRef"
            or "persistentVolumeReclaimPolicy" or "storageClassName" or "volumeMode" or "nodeAffinity" or "mountOptions")) ?? "unknown";
        throw new VolumeException($"persistent volumes of kind {kind} are not supported");
    }
}

/// <summary>A pod's volume on the host: where, and whether every mount of it is read-only.</summary>
internal sealed record PodVolume(string HostPath, bool ReadOnly = false);
