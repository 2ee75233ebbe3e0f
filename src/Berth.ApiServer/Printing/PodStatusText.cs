using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Printing;

/// <summary>
/// The READY, STATUS and RESTARTS cells of a pod, worked out from its status the way kubectl users know them:
/// sidecars (restartable init containers) count among the containers once started, an unfinished init container
/// shows as <c>Init:1/2</c> or <c>Init:&lt;reason&gt;</c>, and otherwise the last container with a waiting or
/// terminated reason names the status.
/// </summary>
internal static class PodStatusText
{
    public static (string Ready, string Status, string Restarts) Cells(JsonObject pod, DateTimeOffset now)
    {
        var status = pod["status"];
        var reason = Fields.Text(status, "reason");
        if (reason.Length == 0)
            reason = Fields.Text(status, "phase", "Pending");
        if (Fields.Array(pod, "status.conditions").Any(c => Fields.Text(c, "type") == "PodScheduled" && Fields.Text(c, "reason") == "SchedulingGated"))
            reason = "SchedulingGated";

        var initSpecs = Fields.Array(pod, "spec.initContainers");
        var sidecars = initSpecs.Where(c => Fields.Text(c, "restartPolicy") == "Always").Select(c => Fields.Text(c, "name")).ToHashSet(StringComparer.Ordinal);
        var total = Fields.Array(pod, "spec.containers").Count + sidecars.Count;
        var ready = 0;
        var restarts = new Restarts();

        var initializing = false;
        var initStatuses = Fields.Array(status, "initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var s = initStatuses[i];
            restarts.Add(s);
            var terminated = Fields.At(s, "state.terminated");
            if (terminated is not null && Fields.Number(s, "state.terminated.exitCode") == 0)
                continue;
            if (sidecars.Contains(Fields.Text(s, "name")) && IsTrue(s, "started"))
            {
                ready += IsTrue(s, "ready") ? 1 : 0;
                continue;
            }
            initializing = true;
            var waitingReason = Fields.Text(s, "state.waiting.reason");
            reason = terminated is not null ? "Init:" + TerminatedText(s)
                : waitingReason.Length > 0 && waitingReason != "PodInitializing" ? "Init:" + waitingReason
                : string.Create(CultureInfo.InvariantCulture, $"Init:{i}/{initSpecs.Count}");
            break;
        }

        if (!initializing || Initialized(pod))
        {
            restarts = new Restarts();
            foreach (var s in initStatuses.Where(s => sidecars.Contains(Fields.Text(s, "name"))))
                restarts.Add(s);
            var hasRunning = false;
            foreach (var s in Fields.Array(status, "containerStatuses").Reverse())
            {
                restarts.Add(s);
                var waiting = Fields.Text(s, "state.waiting.reason");
                if (waiting.Length > 0)
                {
                    reason = waiting;
                }
                else if (Fields.At(s, "state.terminated") is not null)
                {
                    reason = TerminatedText(s);
                }
                else if (Fields.At(s, "state.running") is not null && IsTrue(s, "ready"))
                {
                    hasRunning = true;
                    ready++;
                }
            }
            // A pod whose containers completed but one still runs and is ready reads as running, as kubectl has it.
            if (reason == "Completed" && hasRunning)
                reason = HasReadyCondition(pod) ? "Running" : "NotReady";
        }

        if (Fields.At(pod, "metadata.deletionTimestamp") is not null)
            reason = Fields.Text(status, "reason") == "NodeLost" ? "Unknown" : "Terminating";
        return (string.Create(CultureInfo.InvariantCulture, $"{ready}/{total}"), reason, restarts.Text(now));
    }

    private static string TerminatedText(JsonNode? s)
    {
        var reason = Fields.Text(s, "state.terminated.reason");
        if (reason.Length > 0)
            return reason;
        var signal = Fields.Number(s, "state.terminated.signal");
        return signal != 0
            ? string.Create(CultureInfo.InvariantCulture, $"Signal:{signal}")
            : string.Create(CultureInfo.InvariantCulture, $"ExitCode:{Fields.Number(s, "state.terminated.exitCode")}");
    }

    private static bool Initialized(JsonObject pod) =>
        Fields.Array(pod, "status.conditions").Any(c => Fields.Text(c, "type") == "Initialized" && Fields.Text(c, "status") == "True");

    private static bool HasReadyCondition(JsonObject pod) =>
        Fields.Array(pod, "status.conditions").Any(c => Fields.Text(c, "type") == "Ready" && Fields.Text(c, "status") == "True");

    private static bool IsTrue(JsonNode? node, string path) => Fields.At(node, path) is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>The restarts counted so far and when the latest of them ended, shown as <c>3 (5m ago)</c>.</summary>
    private sealed class Restarts
    {
        private long _count;
        private DateTimeOffset? _last;

        public void Add(JsonNode? containerStatus)
        {
            _count += Fields.Number(containerStatus, "restartCount");
            if (Fields.Time(containerStatus, "lastState.terminated.finishedAt") is { } finished && (_last is null || finished > _last))
                _last = finished;
        }

        public string Text(DateTimeOffset now) => _last is { } at && _count > 0
            ? $"{_count} ({HumanDuration.Format(now - at)} ago)"
            : _count.ToString(CultureInfo.InvariantCulture);
    }
}
