using System.Text.Json.Nodes;
using Berth.ApiServer.Services;
using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Validation;

/// <summary>
/// What an update may not change, kind by kind, in upstream's words: most of a pod's spec, a service's cluster IPs,
/// a job's selector and template, a stateful set's spec beyond its mutable fields. Both objects are defaulted.
/// </summary>
internal static class UpdateValidation
{
    private const string PodUpdateForbidden =
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`," +
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    private const string StatefulSetUpdateForbidden =
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', " +
        "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

    private static readonly string[] ContainerLists = ["containers", "initContainers"];

    private static readonly string[] StatefulSetMutable =
        ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

    public static void Validate(ResourceInfo resource, JsonObject obj, JsonObject previous, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var before = previous["spec"] as JsonObject ?? [];
        switch (resource.Group, resource.Plural)
        {
            case ("", "pods"):
                if (!JsonNode.DeepEquals(Fixed(before, OnlyAdded(before, spec)), Fixed(spec, OnlyAdded(before, spec))))
                    causes.Add(new StatusCause("FieldValueForbidden", PodUpdateForbidden, "spec"));
                AddedSchedulingGates(before, spec, causes);
                break;
            case ("", "services"):
                ServiceClusterIps(before, spec, causes);
                if (ServiceSpecs.NeedsHealthCheckNodePort(before) && ServiceSpecs.NeedsHealthCheckNodePort(spec)
                    && ServiceSpecs.HealthCheckNodePort(before) != ServiceSpecs.HealthCheckNodePort(spec))
                {
                    causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: field is immutable", "spec.healthCheckNodePort"));
                }
                break;
            case ("batch", "jobs"):
                if (!JsonNode.DeepEquals(before["selector"], spec["selector"]))
                    causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: v1.LabelSelector{...}: field is immutable", "spec.selector"));
                if (!JsonNode.DeepEquals(before["template"], spec["template"]))
                    causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: core.PodTemplateSpec{...}: field is immutable", "spec.template"));
                break;
            case ("apps", "statefulsets") when !JsonNode.DeepEquals(Without(before, StatefulSetMutable), Without(spec, StatefulSetMutable)):
                causes.Add(new StatusCause("FieldValueForbidden", StatefulSetUpdateForbidden, "spec"));
                break;
        }
    }

    /// <summary>
    /// A Service's cluster IPs may not change once set, unless it changes to, from or stays ExternalName; a headless
    /// Service stays headless.
    /// </summary>
    private static void ServiceClusterIps(JsonObject before, JsonObject spec, List<StatusCause> causes)
    {
        if (!ServiceSpecs.NeedsClusterIp(before) || !ServiceSpecs.NeedsClusterIp(spec) || (ServiceSpecs.IsHeadless(before) && ServiceSpecs.IsHeadless(spec)))
            return;
        var (old, now) = (ServiceSpecs.ClusterIps(before), ServiceSpecs.ClusterIps(spec));
        var shown = ServiceSpecs.GoStrings(now);
        if (old.Count > 0 && now.Count == 0)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: primary clusterIP can not be unset", "spec.clusterIPs[0]"));
            return;
        }
        for (var i = 0; i < Math.Min(old.Count, now.Count); i++)
        {
            if (old[i] != now[i] && (i == 0 || old.Count == now.Count))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: may not change once set",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"spec.clusterIPs[{i}]")));
            }
        }
    }

    /// <summary>
    /// A pod spec without what an update may change: the images, the active deadline, the grace period, scheduling
    /// gates, and the tolerations when the update only adds to them.
    /// </summary>
    private static JsonObject Fixed(JsonObject spec, bool tolerationsMayDiffer)
    {
        var copy = spec.DeepClone().AsObject();
        foreach (var list in ContainerLists)
        {
            foreach (var container in (copy[list] as JsonArray ?? []).OfType<JsonObject>())
                container.Remove("image");
        }
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("terminationGracePeriodSeconds");
        copy.Remove("schedulingGates");
        if (tolerationsMayDiffer)
            copy.Remove("tolerations");
        return copy;
    }

    /// <summary>Scheduling gates may only be removed: each new one is refused, as upstream does.</summary>
    private static void AddedSchedulingGates(JsonObject before, JsonObject spec, List<StatusCause> causes)
    {
        var old = (before["schedulingGates"] as JsonArray ?? []).Select(g => g?["name"]?.ToString()).ToHashSet(StringComparer.Ordinal);
        var gates = spec["schedulingGates"] as JsonArray ?? [];
        for (var i = 0; i < gates.Count; i++)
        {
            if (gates[i]?["name"]?.ToString() is { } gate && !old.Contains(gate))
            {
                causes.Add(new StatusCause("FieldValueForbidden", $"Forbidden: only deletion is allowed, but found new scheduling gate '{gate}'",
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"spec.schedulingGates[{i}].name")));
            }
        }
    }

    /// <summary>Whether the updated tolerations are the previous ones with others after them.</summary>
    private static bool OnlyAdded(JsonObject before, JsonObject spec)
    {
        var old = before["tolerations"] as JsonArray ?? [];
        var now = spec["tolerations"] as JsonArray ?? [];
        return now.Count >= old.Count && old.Select((t, i) => JsonNode.DeepEquals(t, now[i])).All(same => same);
    }

    private static JsonObject Without(JsonObject spec, string[] fields)
    {
        var copy = spec.DeepClone().AsObject();
        foreach (var field in fields)
            copy.Remove(field);
        return copy;
    }
}
