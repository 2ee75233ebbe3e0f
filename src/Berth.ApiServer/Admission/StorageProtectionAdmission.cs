using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Upstream's StorageObjectInUseProtection admission plugin: every new PersistentVolumeClaim gets the
/// <c>kubernetes.io/pvc-protection</c> finalizer and every new PersistentVolume <c>kubernetes.io/pv-protection</c>, so
/// that deleting one in use waits (Terminating) until the volume-protection controller sees it unused.
/// </summary>
internal static class StorageProtectionAdmission
{
    public const string ClaimFinalizer = "kubernetes.io/pvc-protection";
    public const string VolumeFinalizer = "kubernetes.io/pv-protection";

    public static void Admit(ResourceInfo resource, JsonObject obj)
    {
        var finalizer = resource switch
        {
            { Group: "", Plural: "persistentvolumeclaims" } => ClaimFinalizer,
            { Group: "", Plural: "persistentvolumes" } => VolumeFinalizer,
            _ => null,
        };
        if (finalizer is null)
            return;
        var metadata = ObjectJson.Metadata(obj);
        if (metadata["finalizers"] is not JsonArray finalizers)
            metadata["finalizers"] = finalizers = [];
        if (!finalizers.Any(f => f?.ToString() == finalizer))
            finalizers.Add((JsonNode)finalizer);
    }
}
