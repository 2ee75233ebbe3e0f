using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Deployments;

/// <summary>
/// A Deployment's status from its ReplicaSets, in upstream's fields and conditions: replicas, updatedReplicas,
/// readyReplicas, availableReplicas, unavailableReplicas; <c>Available</c> (at least replicas − maxUnavailable
/// available) and <c>Progressing</c> (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
/// NewReplicaSetAvailable once complete, ProgressDeadlineExceeded when no progress came within
/// progressDeadlineSeconds, DeploymentPaused/DeploymentResumed).
/// </summary>
internal static class DeploymentStatus
{
    public static JsonObject Of(JsonObject deployment, IReadOnlyList<JsonObject> all, JsonObject? newRs, RolloutLimits limits, DateTimeOffset now, string? progressEvent)
    {
        var desired = Replicas.Desired(deployment);
        var old = deployment["status"] as JsonObject ?? [];
        var status = new JsonObject();
        if (deployment["metadata"]?["generation"]?.GetValue<long>() is > 0 and var generation)
            status["observedGeneration"] = generation;
        Add(status, "replicas", all.Sum(rs => Replicas.Status(rs, "replicas")));
        Add(status, "updatedReplicas", newRs is null ? 0 : Replicas.Status(newRs, "replicas"));
        Add(status, "readyReplicas", all.Sum(rs => Replicas.Status(rs, "readyReplicas")));
        var available = all.Sum(rs => Replicas.Status(rs, "availableReplicas"));
        Add(status, "availableReplicas", available);
        Add(status, "unavailableReplicas", Math.Max(0, desired - available));
        Add(status, "collisionCount", old["collisionCount"]?.GetValue<int>() ?? 0);

        var conditions = (old["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => c.DeepClone().AsObject()).ToList();
        var time = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Set(conditions, "Available", available >= desired - limits.MaxUnavailable
            ? ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
            : ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."), time, touch: false);
        if (Progress(deployment, status, old, newRs, now, progressEvent) is { } progress)
            Set(conditions, "Progressing", progress, time, touch: true);
        status["conditions"] = new JsonArray([.. conditions]);
        return status;
    }

    /// <summary>Whether the rollout is done: every replica updated and available, and the status is of the latest spec.</summary>
    public static bool Complete(JsonObject deployment, JsonObject status) =>
        Count(status, "updatedReplicas") == Replicas.Desired(deployment)
        && Count(status, "replicas") == Replicas.Desired(deployment)
        && Count(status, "availableReplicas") == Replicas.Desired(deployment)
        && (status["observedGeneration"]?.GetValue<long>() ?? 0) >= (deployment["metadata"]?["generation"]?.GetValue<long>() ?? 0);

    /// <summary>When the rollout runs out of time if nothing moves (null: no deadline, or not rolling out).</summary>
    public static DateTimeOffset? Deadline(JsonObject deployment, JsonObject status)
    {
        if (deployment["spec"]?["paused"]?.GetValue<bool>() == true || Complete(deployment, status))
            return null;
        var seconds = deployment["spec"]?["progressDeadlineSeconds"]?.GetValue<int>() ?? 600;
        var progressing = Find(status["conditions"] as JsonArray, "Progressing");
        if (progressing?["reason"]?.ToString() == "ProgressDeadlineExceeded" || progressing?["lastUpdateTime"] is null)
            return null;
        return DateTimeOffset.Parse(progressing["lastUpdateTime"]!.ToString(), CultureInfo.InvariantCulture) + TimeSpan.FromSeconds(seconds);
    }

    private static (string Status, string Reason, string Message)? Progress(JsonObject deployment, JsonObject status, JsonObject old, JsonObject? newRs, DateTimeOffset now, string? progressEvent)
    {
        var name = newRs is null ? "" : Replicas.Name(newRs);
        if (deployment["spec"]?["paused"]?.GetValue<bool>() == true)
            return ("Unknown", "DeploymentPaused", "Deployment is paused");
        var previous = Find(old["conditions"] as JsonArray, "Progressing");
        if (previous?["reason"]?.ToString() == "DeploymentPaused")
            return ("Unknown", "DeploymentResumed", "Deployment is resumed");
        if (Complete(deployment, status))
            return ("True", "NewReplicaSetAvailable", $"ReplicaSet \"{name}\" has successfully progressed.");
        if (progressEvent is not null)
            return ("True", progressEvent, progressEvent == "NewReplicaSetCreated" ? $"Created new replica set \"{name}\"" : $"Found new replica set \"{name}\"");
        var moved = Count(status, "updatedReplicas") > Count(old, "updatedReplicas")
            || Count(status, "readyReplicas") > Count(old, "readyReplicas")
            || Count(status, "availableReplicas") > Count(old, "availableReplicas")
            || Count(status, "replicas") - Count(status, "updatedReplicas") < Count(old, "replicas") - Count(old, "updatedReplicas");
        if (moved)
            return ("True", "ReplicaSetUpdated", $"ReplicaSet \"{name}\" is progressing.");
        if (Deadline(deployment, old) is { } deadline && now >= deadline)
            return ("False", "ProgressDeadlineExceeded", $"ReplicaSet \"{name}\" has timed out progressing.");
        return null;
    }

    /// <summary>
    /// Sets a condition; its transition time moves only when its status does, its update time (Progressing's) whenever
    /// it is set, except that a condition already saying the same keeps both.
    /// </summary>
    private static void Set(List<JsonObject> conditions, string type, (string Status, string Reason, string Message) value, string now, bool touch)
    {
        var existing = conditions.FirstOrDefault(c => c["type"]?.ToString() == type);
        if (existing is not null && existing["status"]?.ToString() == value.Status && existing["reason"]?.ToString() == value.Reason
            && existing["message"]?.ToString() == value.Message && value.Reason != "ReplicaSetUpdated")
            return;
        var condition = new JsonObject { ["type"] = type, ["status"] = value.Status };
        condition["lastUpdateTime"] = touch || existing is null ? now : existing["lastUpdateTime"]?.DeepClone();
        condition["lastTransitionTime"] = existing is not null && existing["status"]?.ToString() == value.Status ? existing["lastTransitionTime"]?.DeepClone() : now;
        condition["reason"] = value.Reason;
        condition["message"] = value.Message;
        if (existing is null)
            conditions.Add(condition);
        else
            conditions[conditions.IndexOf(existing)] = condition;
    }

    private static JsonObject? Find(JsonArray? conditions, string type) =>
        (conditions ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == type);

    private static int Count(JsonObject status, string field) => status[field]?.GetValue<int>() ?? 0;

    private static void Add(JsonObject status, string field, int value)
    {
        if (value != 0)
            status[field] = value;
    }
}
