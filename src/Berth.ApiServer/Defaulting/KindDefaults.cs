using System.Text.Json.Nodes;
using Berth.Core.CustomResources;
using Berth.Core.Resources;

namespace Berth.ApiServer.Defaulting;

/// <summary>
/// Upstream's defaulting for the built-in kinds, applied to every object written (create, update, patch), as the
/// API server defaults every object it decodes: what kubectl diff, three-way apply and describe expect to find.
/// Custom resources get the defaults their definition's schema declares.
/// </summary>
internal static class KindDefaults
{
    public static void Apply(ResourceInfo resource, JsonObject obj)
    {
        if (resource.Custom?.Schema is { } schema)
        {
            CustomResourceSchema.ApplyDefaults(obj, schema);
            return;
        }
        var spec = obj["spec"] as JsonObject;
        switch (resource.Group, resource.Plural)
        {
            case ("", "pods") when spec is not null:
                PodDefaults.Spec(spec);
                PodDefaults.RequestsFromLimits(spec);
                break;
            case ("", "podtemplates"):
                WorkloadDefaults.Template(obj);
                break;
            case ("", "replicationcontrollers") when spec is not null:
                WorkloadDefaults.ReplicaSet(spec);
                break;
            case ("", "services") when spec is not null:
                ServiceDefaults.Spec(spec);
                break;
            case ("discovery.k8s.io", "endpointslices"):
                foreach (var port in obj.Items("ports"))
                {
                    port.Default("name", "");
                    port.Default("protocol", "TCP");
                }
                break;
            case ("", "secrets"):
                obj.Default("type", "Opaque");
                MoveStringData(obj);
                break;
            case ("", "persistentvolumeclaims") when spec is not null:
                spec.Default("volumeMode", "Filesystem");
                break;
            case ("", "persistentvolumes") when spec is not null:
                spec.Default("persistentVolumeReclaimPolicy", "Retain");
                spec.Default("volumeMode", "Filesystem");
                break;
            case ("apps", "deployments") when spec is not null:
                WorkloadDefaults.Deployment(spec);
                break;
            case ("apps", "replicasets") when spec is not null:
                WorkloadDefaults.ReplicaSet(spec);
                break;
            case ("apps", "statefulsets") when spec is not null:
                WorkloadDefaults.StatefulSet(spec);
                break;
            case ("apps", "daemonsets") when spec is not null:
                WorkloadDefaults.DaemonSet(spec);
                break;
            case ("batch", "jobs") when spec is not null:
                WorkloadDefaults.Job(spec);
                break;
            case ("batch", "cronjobs") when spec is not null:
                WorkloadDefaults.CronJob(spec);
                break;
            case ("scheduling.k8s.io", "priorityclasses"):
                obj.Default("preemptionPolicy", "PreemptLowerPriority");
                break;
            case ("storage.k8s.io", "storageclasses"):
                obj.Default("reclaimPolicy", "Delete");
                obj.Default("volumeBindingMode", "Immediate");
                break;
            case ("apiextensions.k8s.io", "customresourcedefinitions") when spec is not null:
                DefinitionDefaults(spec);
                break;
        }
    }

    /// <summary>A secret's stringData is written into data, base64-encoded, and not kept: upstream stores only data.</summary>
    private static void MoveStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject text)
            return;
        var data = secret.Child("data");
        foreach (var (key, value) in text)
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var plain))
                data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(plain));
        }
        secret.Remove("stringData");
    }

    /// <summary>A definition's derived names and its conversion strategy, as upstream defaults them.</summary>
    private static void DefinitionDefaults(JsonObject spec)
    {
        var names = spec.Child("names");
        var kind = names["kind"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? names["kind"]!.GetValue<string>() : "";
        names.Default("singular", kind.ToLowerInvariant());
        names.Default("listKind", kind + "List");
        spec.Child("conversion").Default("strategy", "None");
    }

    /// <summary>What only a new object gets: what admission adds to a pod and its QoS class, a job's generated selector.</summary>
    public static void OnCreate(ResourceInfo resource, JsonObject obj)
    {
        switch (resource.Group, resource.Plural)
        {
            case ("", "pods") when obj["spec"] is JsonObject spec:
                PodDefaults.Admit(spec);
                obj.Child("status")["qosClass"] = PodDefaults.QosClass(spec);
                PodDefaults.SchedulingGated(obj);
                break;
            case ("batch", "jobs"):
                WorkloadDefaults.JobSelector(obj);
                break;
        }
    }
}
