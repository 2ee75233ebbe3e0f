using System.Text.Json.Nodes;

namespace Berth.ApiServer.Printing;

/// <summary>The STATUS, READY and RESTARTS cells of a pod, worked out from its status the way kubectl users know them.</summary>
internal static class PodStatusText
{
    public static string Status(JsonObject pod)
    {
        var status = pod["status"];
        var reason = Fields.Text(status, "reason");
        if (reason.Length == 0)
            reason = Fields.Text(status, "phase", "Pending");

        var initContainers = Fields.Array(pod, "spec.initContainers").Count;
        var initStatuses = Fields.Array(status, "initContainerStatuses");
        var initializing = false;
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var s = initStatuses[i];
            var exitCode = Fields.Number(s, "state.terminated.exitCode");
            if (Fields.At(s, "state.terminated") is not null && exitCode == 0)
                continue;
            initializing = true;
            var terminatedReason = Fields.Text(s, "state.terminated.reason");
            var waitingReason = Fields.Text(s, "state.waiting.reason");
            reason = Fields.At(s, "state.terminated") is not null
                ? "Init:" + (terminatedReason.Length > 0 ? terminatedReason : $"ExitCode:{exitCode}")
                : waitingReason.Length > 0 && waitingReason != "PodInitializing" ? "Init:" + waitingReason
                : $"Init:{i}/{initContainers}";
            break;
        }

        if (!initializing)
        {
            var hasRunning = false;
            foreach (var s in Fields.Array(status, "containerStatuses").Reverse())
            {
                var waiting = Fields.Text(s, "state.waiting.reason");
                var terminated = Fields.Text(s, "state.terminated.reason");
                if (waiting.Length > 0)
                    reason = waiting;
                else if (terminated.Length > 0)
                    reason = terminated;
                else if (Fields.At(s, "state.terminated") is not null)
                {
                    var signal = Fields.Number(s, "state.terminated.signal");
                    reason = signal != 0 ? $"Signal:{signal}" : $"ExitCode:{Fields.Number(s, "state.terminated.exitCode")}";
                }
                else if (Fields.At(s, "state.running") is not null && Fields.At(s, "ready") is JsonValue ready && ready.GetValue<bool>())
                    hasRunning = true;
            }
            if (reason == "Completed" && hasRunning)
                reason = Ready(pod) == "0/0" ? reason : "Running";
        }

        if (Fields.At(pod, "metadata.deletionTimestamp") is not null)
            reason = Fields.Text(status, "reason") == "NodeLost" ? "Unknown" : "Terminating";
        return reason;
    }

    public static string Ready(JsonObject pod)
    {
        var total = Fields.Array(pod, "spec.containers").Count;
        var ready = Fields.Array(pod, "status.containerStatuses").Count(s => Fields.At(s, "ready") is JsonValue v && v.GetValue<bool>());
        return $"{ready}/{total}";
    }

    public static string Restarts(JsonObject pod, DateTimeOffset now)
    {
        long restarts = 0;
        DateTimeOffset? last = null;
        foreach (var s in Fields.Array(pod, "status.containerStatuses"))
        {
            restarts += Fields.Number(s, "restartCount");
            if (Fields.Time(s, "lastState.terminated.finishedAt") is { } finished && (last is null || finished > last))
                last = finished;
        }
        return last is { } at && restarts > 0 ? $"{restarts} ({HumanDuration.Format(now - at)} ago)" : restarts.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
