using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;

namespace Berth.ApiServer.CustomResources;

/// <summary>
/// The status a CustomResourceDefinition shows, in upstream's words: its accepted names, the NamesAccepted and
/// Established conditions (and Terminating while it is deleted), and the versions objects were stored in.
/// </summary>
internal static class DefinitionStatus
{
    public static JsonObject For(JsonObject definition, JsonObject current, string? conflict, string now)
    {
        var spec = definition["spec"] as JsonObject ?? [];
        var names = spec["names"]?.DeepClone() as JsonObject ?? [];
        var kind = ObjectJson.GetString(names, "kind") ?? "";
        names["singular"] ??= kind.ToLowerInvariant();
        names["listKind"] ??= kind + "List";
        var accepted = conflict is null;
        var conditions = new List<JsonObject>
        {
            accepted
                ? Condition(current, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now)
                : Condition(current, "NamesAccepted", "False", "NameConflict", conflict!, now),
            accepted
                ? Condition(current, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted", now)
                : Condition(current, "Established", "False", "NotAccepted", "not all names are accepted", now),
        };
        if (ObjectJson.Metadata(definition)["deletionTimestamp"] is not null)
            conditions.Add(Condition(current, "Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", now));

        var stored = (current["storedVersions"] as JsonArray)?.Select(v => v?.GetValue<string>() ?? "").ToList() ?? [];
        var storage = (spec["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true)?["name"]?.GetValue<string>();
        if (storage is not null && !stored.Contains(storage))
            stored.Add(storage);
        return new JsonObject
        {
            ["acceptedNames"] = accepted ? names : current["acceptedNames"]?.DeepClone() ?? new JsonObject { ["plural"] = "", ["kind"] = "" },
            ["conditions"] = new JsonArray([.. conditions]),
            ["storedVersions"] = new JsonArray([.. stored.Select(v => (JsonNode)JsonValue.Create(v))]),
        };
    }

    /// <summary>A condition, keeping its last transition time while its status stays the same.</summary>
    private static JsonObject Condition(JsonObject current, string type, string status, string reason, string message, string now)
    {
        var previous = (current["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => ObjectJson.GetString(c, "type") == type);
        var since = previous is not null && ObjectJson.GetString(previous, "status") == status ? ObjectJson.GetString(previous, "lastTransitionTime") ?? now : now;
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastTransitionTime"] = since,
            ["reason"] = reason,
            ["message"] = message,
        };
    }
}
