using System.Text.Json.Nodes;
using Berth.ApiServer.CustomResources;
using Berth.ApiServer.Defaulting;
using Berth.ApiServer.Services;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>
/// What the server sets on an object when it is created (status, the namespace finalizer) and on every write
/// (the namespace name label, and each kind's defaults from <see cref="KindDefaults"/>).
/// </summary>
internal static class ObjectDefaults
{
    /// <summary>The label upstream puts on every namespace, naming it, so that selectors can pick namespaces by name.</summary>
    public const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    private static readonly string[] AdmittedPodFields = ["priority", "preemptionPolicy"];

    public static void OnCreate(ResourceInfo resource, JsonObject obj)
    {
        // Status is reported by controllers and agents, never set by whoever creates the object (nodes excepted:
        // an agent registers its node with the status it observed).
        if (resource.HasStatus && resource is not { Group: "", Plural: "nodes" })
            obj.Remove("status");

        switch (resource)
        {
            case { Group: "", Plural: "namespaces" }:
                // The namespace controller removes the "kubernetes" finalizer once the namespace is empty.
                var spec = obj["spec"] as JsonObject ?? [];
                spec["finalizers"] = new JsonArray("kubernetes");
                obj["spec"] = spec;
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case { Group: "", Plural: "pods" }:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case { Group: "", Plural: "persistentvolumes" or "persistentvolumeclaims" }:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case { Group: "", Plural: "services" } when obj["spec"] is JsonObject serviceSpec:
                ServiceFields.OnCreate(serviceSpec);
                break;
            case { Group: "apiextensions.k8s.io", Plural: "customresourcedefinitions" }:
                // Held until its objects are deleted with it.
                ObjectJson.SetFinalizers(obj, [.. ObjectJson.Finalizers(obj).Append(DefinitionResources.CleanupFinalizer).Distinct()]);
                break;
        }
        KindDefaults.OnCreate(resource, obj);
    }

    /// <summary>
    /// What an update keeps of the object it replaces although the writer left it out: what the server allocated to a
    /// service (upstream's strategy patches it back in; see <see cref="ServiceFields"/>), and a pod's priority and
    /// preemption policy, which priority admission set (upstream's admission keeps them; validation forbids changing them).
    /// </summary>
    public static void OnUpdate(ResourceInfo resource, JsonObject obj, JsonObject previous)
    {
        if (obj["spec"] is not JsonObject spec || previous["spec"] is not JsonObject before)
            return;
        switch (resource)
        {
            case { Group: "", Plural: "services" }:
                ServiceFields.OnUpdate(spec, before);
                break;
            case { Group: "", Plural: "pods" }:
                foreach (var field in AdmittedPodFields)
                {
                    if (spec[field] is null)
                        Keep(spec, before, field);
                }
                break;
        }
    }

    private static void Keep(JsonObject spec, JsonObject before, string field)
    {
        if (before[field] is { } kept)
            spec[field] = kept.DeepClone();
    }

    /// <summary>
    /// What the server keeps true of an object on every write (create, update, patch), once its name is known:
    /// upstream's namespace defaulting labels each namespace with its own name, whatever the body says.
    /// </summary>
    public static void OnWrite(ResourceInfo resource, JsonObject obj)
    {
        KindDefaults.Apply(resource, obj);
        if (resource is not { Group: "", Plural: "namespaces" } || ObjectJson.Name(obj) is not { Length: > 0 } name)
            return;
        var metadata = ObjectJson.Metadata(obj);
        if (metadata["labels"] is not JsonObject labels)
        {
            labels = [];
            metadata["labels"] = labels;
        }
        labels[NamespaceNameLabel] = name;
    }
}
