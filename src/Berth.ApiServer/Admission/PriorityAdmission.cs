using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Rest;
using Berth.ApiServer.Validation;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Storage;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Upstream's Priority admission plugin. A new pod takes the priority and preemption policy of the PriorityClass it
/// names, or else of the global default class (whose name it then records), or else 0 and PreemptLowerPriority; a
/// pod naming a class that does not exist, or stating a priority or policy other than the one computed, is refused.
/// And no PriorityClass may become the global default while another one is.
/// </summary>
internal sealed class PriorityAdmission(IStore store, WatchCaches caches)
{
    private const string DefaultPreemptionPolicy = "PreemptLowerPriority";

    private static readonly ResourceInfo PriorityClasses = ResourceTable.BuiltIn.Find("scheduling.k8s.io", "v1", "priorityclasses")!;

    /// <summary>Mutating admission of a create: sets a new pod's priority, preemption policy and default class.</summary>
    public async Task AdmitAsync(ResourceInfo resource, JsonObject obj, CancellationToken cancellationToken)
    {
        if (resource is not { Group: "", Plural: "pods" } || obj["spec"] is not JsonObject spec)
            return;
        JsonObject? priorityClass;
        if (ObjectJson.GetString(spec, "priorityClassName") is { Length: > 0 } named)
        {
            priorityClass = await AdmissionLookup.FindAsync(store, caches, PriorityClasses, null, named, cancellationToken)
                ?? throw Forbidden(resource, obj, $"no PriorityClass with name {named} was found");
        }
        else
        {
            // An empty name is none: the pod records the default class's name, or none when there is no default.
            priorityClass = GlobalDefault();
            spec.Remove("priorityClassName");
            if (priorityClass is not null)
                spec["priorityClassName"] = ObjectJson.Name(priorityClass);
        }

        var priority = priorityClass is null ? 0 : JsonNumbers.Integer(priorityClass["value"]) ?? 0;
        if (JsonNumbers.Integer(spec["priority"]) is { } stated && stated != priority)
        {
            throw Forbidden(resource, obj,
                $"the integer value of priority ({stated}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }
        spec["priority"] = priority;

        // A class stored without a policy leaves the pod's alone, as upstream's nil policy does.
        var policy = priorityClass is null ? DefaultPreemptionPolicy : ObjectJson.GetString(priorityClass, "preemptionPolicy");
        if (policy is null)
            return;
        if (ObjectJson.GetString(spec, "preemptionPolicy") is { } statedPolicy && statedPolicy != policy)
        {
            throw Forbidden(resource, obj,
                $"the string value of PreemptionPolicy ({statedPolicy}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name");
        }
        spec["preemptionPolicy"] = policy;
    }

    /// <summary>Validating admission of a create or update: a PriorityClass may be the global default only if no other is.</summary>
    public async Task ValidateAsync(ResourceInfo resource, JsonObject obj, CancellationToken cancellationToken)
    {
        if (resource is not { Group: "scheduling.k8s.io", Plural: "priorityclasses" } || !IsGlobalDefault(obj))
            return;
        // Classes are written rarely: read them consistently, so that a default made a moment ago counts.
        await caches.For(PriorityClasses).WaitForRevisionAsync(await store.GetRevisionAsync(cancellationToken), cancellationToken);
        if (GlobalDefault() is { } existing && ObjectJson.Name(existing) is var name && name != ObjectJson.Name(obj))
            throw Forbidden(resource, obj, $"PriorityClass {name} is already marked as default. Only one default can exist");
    }

    /// <summary>The global default class, from the watch cache; of several (written in a race), the lowest.</summary>
    private JsonObject? GlobalDefault() =>
        caches.For(PriorityClasses).Snapshot(PriorityClasses.StoragePrefixFor(null)).Objects
            .Select(c => c.Parse())
            .Where(IsGlobalDefault)
            .MinBy(c => JsonNumbers.Integer(c["value"]) ?? 0);

    private static bool IsGlobalDefault(JsonObject priorityClass) =>
        priorityClass["globalDefault"] is JsonValue flag && flag.TryGetValue<bool>(out var isDefault) && isDefault;

    /// <summary>Upstream's admission refusal, which names the object as sent: before a generated name exists, its prefix.</summary>
    private static ApiException Forbidden(ResourceInfo resource, JsonObject obj, string why)
    {
        var metadata = ObjectJson.Metadata(obj);
        var name = ObjectJson.GetString(metadata, "name") is { Length: > 0 } given ? given
            : ObjectJson.GetString(metadata, "generateName") is { Length: > 0 } prefix ? prefix
            : "Unknown";
        return new ApiException(ApiStatus.Forbidden(resource, name, why));
    }
}
