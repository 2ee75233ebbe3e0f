using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Controllers.ReplicaSets;

/// <summary>
/// A ReplicaSet's status from the pods it controls, in upstream's fields: replicas (always), fullyLabeledReplicas
/// (pods with every label of the template), readyReplicas, availableReplicas (ready for minReadySeconds) and
/// observedGeneration when not zero, and the ReplicaFailure condition while creating or deleting pods fails.
/// </summary>
internal static class ReplicaSetStatus
{
    private const string ReplicaFailure = "ReplicaFailure";

    public static JsonObject Of(JsonObject rs, IReadOnlyList<ReplicaPod> owned, DateTimeOffset now, TimeSpan minReady, string? failure)
    {
        var templateLabels = rs["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? [];
        var status = new JsonObject { ["replicas"] = owned.Count };
        Add(status, "fullyLabeledReplicas", owned.Count(p => templateLabels.All(l => p.Labels.TryGetValue(l.Key, out var v) && v == l.Value?.ToString())));
        Add(status, "readyReplicas", owned.Count(p => p.Ready));
        Add(status, "availableReplicas", owned.Count(p => p.AvailableAt(now, minReady)));
        Add(status, "observedGeneration", rs["metadata"]?["generation"]?.GetValue<long>() ?? 0);

        var existing = rs["status"]?["conditions"] as JsonArray ?? [];
        var conditions = new JsonArray([.. existing.OfType<JsonObject>().Where(c => c["type"]?.ToString() != ReplicaFailure).Select(c => c.DeepClone())]);
        if (failure is not null)
        {
            var wanted = rs["spec"]?["replicas"]?.GetValue<int>() ?? 1;
            var reason = owned.Count < wanted ? "FailedCreate" : "FailedDelete";
            var before = existing.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == ReplicaFailure);
            conditions.Add(new JsonObject
            {
                ["type"] = ReplicaFailure,
                ["status"] = "True",
                ["lastTransitionTime"] = before?["lastTransitionTime"]?.DeepClone()
                    ?? now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["reason"] = reason,
                ["message"] = failure,
            });
        }
        if (conditions.Count > 0)
            status["conditions"] = conditions;
        return status;
    }

    private static void Add(JsonObject status, string field, long value)
    {
        if (value != 0)
            status[field] = value;
    }
}
