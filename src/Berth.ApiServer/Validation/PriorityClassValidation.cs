using System.Text.Json.Nodes;
using Berth.ApiServer.Bootstrap;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>
/// A PriorityClass as upstream validates it: values above a billion and names starting "system-" belong to the
/// system classes alone, the preemption policy is one upstream knows, and an update may change neither the value
/// nor the policy. (Only one class may be the global default: admission's rule, in PriorityAdmission.)
/// </summary>
internal static class PriorityClassValidation
{
    /// <summary>The highest value a user may give a class; higher ones are reserved for the system classes.</summary>
    private const long HighestUserDefinablePriority = 1_000_000_000;

    private const string SystemPrefix = "system-";
    private static readonly string[] PreemptionPolicies = ["PreemptLowerPriority", "Never"];

    public static void Validate(JsonObject priorityClass, JsonObject? previous, List<StatusCause> causes)
    {
        if (previous is null)
            ValidateCreate(priorityClass, causes);
        else
            ValidateUpdate(priorityClass, previous, causes);
    }

    private static void ValidateCreate(JsonObject priorityClass, List<StatusCause> causes)
    {
        var name = ObjectJson.Name(priorityClass) ?? "";
        var value = JsonNumbers.Integer(priorityClass["value"]) ?? 0;
        if (name.StartsWith(SystemPrefix, StringComparison.Ordinal))
        {
            if (UnlikeSystemClass(name, value, GlobalDefault(priorityClass)) is { } error)
            {
                causes.Add(new StatusCause("FieldValueForbidden",
                    $"Forbidden: priority class names with '{SystemPrefix}' prefix are reserved for system use only. error: {error}", "metadata.name"));
            }
        }
        else if (value > HighestUserDefinablePriority)
        {
            causes.Add(new StatusCause("FieldValueForbidden",
                $"Forbidden: maximum allowed value of a user defined priority is {HighestUserDefinablePriority}", "value"));
        }
        if (priorityClass["preemptionPolicy"] is { } policyNode)
        {
            var policy = policyNode is JsonValue text && text.TryGetValue<string>(out var s) ? s : policyNode.ToJsonString();
            if (policy.Length == 0)
            {
                causes.Add(new StatusCause("FieldValueRequired", "Required value", "preemptionPolicy"));
            }
            else if (!PreemptionPolicies.Contains(policy))
            {
                causes.Add(new StatusCause("FieldValueNotSupported",
                    $"Unsupported value: \"{policy}\": supported values: {string.Join(", ", PreemptionPolicies.Select(p => $"\"{p}\""))}", "preemptionPolicy"));
            }
        }
    }

    private static void ValidateUpdate(JsonObject priorityClass, JsonObject previous, List<StatusCause> causes)
    {
        if (JsonNumbers.Integer(priorityClass["value"]) != JsonNumbers.Integer(previous["value"]))
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not be changed in an update.", "value"));
        if (!JsonNode.DeepEquals(priorityClass["preemptionPolicy"], previous["preemptionPolicy"]))
        {
            causes.Add(new StatusCause("FieldValueInvalid",
                $"Invalid value: {priorityClass["preemptionPolicy"]?.ToJsonString() ?? "null"}: field is immutable", "preemptionPolicy"));
        }
    }

    /// <summary>Why a "system-" class is not one of the system classes exactly (its value and globalDefault), or null.</summary>
    private static string? UnlikeSystemClass(string name, long value, bool globalDefault)
    {
        foreach (var system in SystemPriorityClasses.Classes)
        {
            if (system.Name != name)
                continue;
            if (system.Value != value)
                return $"value of {name} PriorityClass must be {system.Value}";
            return globalDefault ? $"globalDefault of {name} PriorityClass must be false" : null;
        }
        return $"{name} is not a known system priority class";
    }

    private static bool GlobalDefault(JsonObject priorityClass) =>
        priorityClass["globalDefault"] is JsonValue flag && flag.TryGetValue<bool>(out var isDefault) && isDefault;
}
