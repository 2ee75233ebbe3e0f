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
        // Read once: a ReplicaSet may have tens of thousands of pods, and this runs at every change to any of them.
        var templateLabels = (rs["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? []).Select(l => (l.Key, Value: l.Value?.ToString())).ToArray();
        var (fullyLabeled, ready, available) = (0, 0, 0);
        foreach (var pod in owned)
        {
            if (HasAll(pod.Labels, templateLabels))
                fullyLabeled++;
            if (pod.Ready)
                ready++;
            if (pod.AvailableAt(now, minReady))
                available++;
        }
        var status = new JsonObject { ["replicas"] = owned.Count };
        Add(status, "fullyLabeledReplicas", fullyLabeled);
        Add(status, "readyReplicas", ready);
        Add(status, "availableReplicas", available);
        Add(status, "observedGeneration", rs["metadata"]?["generation"]?.GetValue<long>() ?? 0);

        var existing = rs["status"]?["conditions"] as JsonArray ?? [];
        var conditions = new JsonArray([.. existing.OfType<JsonObject>().Where(c => c["type"]?.ToString() != ReplicaFailure).Select(c => c.DeepClone())]);
        if (failure is not null)
        {
            var wanted = rs["spec"]?["replicas"]?.GetValue<int>() ?? 1;
            var reason = owned.Count < wanted ? "FailedCreate" : "FailedDelete";
            var before = existing.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == ReplicaFailure);
            conditions.Add((JsonNode)new JsonObject
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

    private static bool HasAll(IReadOnlyDictionary<string, string> labels, (string Key, string? Value)[] wanted)
    {
        foreach (var (key, value) in wanted)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
                return false;
        }
        return true;
    }

    private static void Add(JsonObject status, string field, long value)
    {
        if (value != 0)
            status[field] = value;
    }
}
