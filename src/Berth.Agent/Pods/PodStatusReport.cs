using System.Text.Json.Nodes;
using Berth.Agent.Runtime;
using Berth.Core.Serialization;

namespace Berth.Agent.Pods;

/// <summary>
/// The status a node reports for a pod it runs, in upstream's shape: phase, the five conditions (each keeping its
/// transition time while unchanged), IPs, start time and one status per container.
/// </summary>
internal static class PodStatusReport
{
    public static JsonObject For(JsonObject pod, PodSandbox sandbox, IReadOnlyList<ContainerStatus> containers, string hostIp, string now)
    {
        var previous = pod["status"] as JsonObject ?? [];
        var specContainers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var current = specContainers.Select(c => containers.LastOrDefault(s => s.Name == Text(c, "name"))).ToList();
        var statuses = specContainers.Select((c, i) => ContainerReport(c, current[i])).ToList();
        var allRunning = statuses.Count > 0 && statuses.All(s => s["ready"]!.GetValue<bool>());
        var phase = Phase(Text(pod["spec"] as JsonObject ?? [], "restartPolicy"), current);
        var completed = phase is "Succeeded" or "Failed" ? "PodCompleted" : null;
        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = new JsonArray(
                Condition(previous, "PodReadyToStartContainers", sandbox.Ready, now),
                Condition(previous, "Initialized", true, now),
                Condition(previous, "Ready", allRunning, now, completed),
                Condition(previous, "ContainersReady", allRunning, now, completed),
                Condition(previous, "PodScheduled", true, now)),
            ["hostIP"] = hostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp }),
            ["podIP"] = sandbox.Ip,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = sandbox.Ip }),
            ["startTime"] = previous["startTime"]?.DeepClone() ?? WireTime.Time(sandbox.CreatedAt),
            ["containerStatuses"] = new JsonArray([.. statuses]),
        };
        if (previous["qosClass"] is { } qos)
            status["qosClass"] = qos.DeepClone();
        return status;
    }

    /// <summary>
    /// The pod's phase, as upstream works it out: Succeeded or Failed once every container has exited and none will be
    /// restarted (Never; OnFailure after success), Running while any runs or has run, Pending before.
    /// </summary>
    private static string Phase(string restartPolicy, List<ContainerStatus?> containers)
    {
        if (containers.Count == 0 || containers.Any(c => c is null))
            return containers.Any(c => c is not null) ? "Running" : "Pending";
        if (containers.All(c => c!.State == ContainerState.Exited))
        {
            var succeeded = containers.All(c => c!.ExitCode == 0);
            if (restartPolicy == "Never" || (restartPolicy == "OnFailure" && succeeded))
                return succeeded ? "Succeeded" : "Failed";
        }
        return containers.Any(c => c!.State is ContainerState.Running or ContainerState.Exited) ? "Running" : "Pending";
    }

    private static JsonObject ContainerReport(JsonObject spec, ContainerStatus? running)
    {
        var image = Text(spec, "image");
        var report = new JsonObject
        {
            ["name"] = Text(spec, "name"),
            ["state"] = running switch
            {
                { State: ContainerState.Running, StartedAt: { } started } => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = WireTime.Time(started) } },
                { State: ContainerState.Exited } exited => new JsonObject
                {
                    ["terminated"] = new JsonObject
                    {
                        ["exitCode"] = exited.ExitCode,
                        ["reason"] = exited.Reason,
                        ["startedAt"] = exited.StartedAt is { } s ? WireTime.Time(s) : null,
                        ["finishedAt"] = exited.FinishedAt is { } f ? WireTime.Time(f) : null,
                        ["containerID"] = "simulated://" + exited.Id,
                    },
                },
                _ => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
            },
            ["lastState"] = new JsonObject(),
            ["ready"] = running?.State == ContainerState.Running,
            ["restartCount"] = (int)(running?.Attempt ?? 0),
            ["image"] = image,
            ["imageID"] = running?.ImageRef ?? "",
            ["started"] = running?.State == ContainerState.Running,
        };
        if (running is not null)
            report["containerID"] = "simulated://" + running.Id;
        return report;
    }

    private static JsonObject Condition(JsonObject previous, string type, bool holds, string now, string? reason = null)
    {
        var status = holds ? "True" : "False";
        var before = (previous["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Text(c, "type") == type);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = before is not null && Text(before, "status") == status ? before["lastTransitionTime"]?.DeepClone() : now,
        };
        if (!holds && reason is not null)
            condition["reason"] = reason;
        return condition;
    }

    private static string Text(JsonObject obj, string field) => obj[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
