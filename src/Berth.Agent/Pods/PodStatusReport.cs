using System.Text.Json.Nodes;
using Berth.Agent.Pods.Probes;
using Berth.Agent.Runtime;
using Berth.Core.Serialization;

namespace Berth.Agent.Pods;

/// <summary>
/// The status a node reports for a pod it runs, in upstream's shape: phase, the conditions (each keeping its
/// transition time while unchanged, others' conditions kept as they are), IPs, start time and one status per init
/// and app container with its state, last state, restart count, readiness and whether it started.
/// </summary>
internal static class PodStatusReport
{
    private static readonly string[] KeptFields = ["qosClass", "nominatedNodeName"];

    private static readonly string[] Owned = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

    public static JsonObject For(JsonObject pod, PodRun run, ContainerPlan plan, ProbeManager probes, string hostIp, string now)
    {
        var previous = pod["status"] as JsonObject ?? [];
        var reports = run.Specs.ToDictionary(s => s.Name, s => ContainerReport(run, s, plan, probes), StringComparer.Ordinal);
        var phase = Phase(run, plan);

        var unready = run.Specs.Where(s => s.Role != ContainerRole.Init && !reports[s.Name]["ready"]!.GetValue<bool>()).Select(s => s.Name).ToList();
        var incomplete = run.Specs.Where(s => s.Role == ContainerRole.Init && run.Latest(s.Name) is not { State: ContainerState.Exited, ExitCode: 0 }).Select(s => s.Name).ToList();
        var gates = (run.Spec["readinessGates"] as JsonArray ?? []).Select(g => g?["conditionType"]?.ToString() ?? "").ToList();
        var missingGate = gates.FirstOrDefault(g => !ConditionHolds(previous, g));
        var succeeded = phase == "Succeeded";
        var containersReady = unready.Count == 0
            ? Condition(previous, "ContainersReady", true, now)
            : Condition(previous, "ContainersReady", false, now, succeeded ? "PodCompleted" : "ContainersNotReady",
                succeeded ? null : $"containers with unready status: [{string.Join(' ', unready)}]");
        var ready = unready.Count > 0
            ? Condition(previous, "Ready", false, now, containersReady["reason"]!.GetValue<string>(), containersReady["message"]?.GetValue<string>())
            : missingGate is not null
                ? Condition(previous, "Ready", false, now, "ReadinessGatesNotReady", $"corresponding condition of pod readiness gate \"{missingGate}\" does not exist.")
                : Condition(previous, "Ready", true, now);
        var initialized = plan.Initialized
            ? Condition(previous, "Initialized", true, now, succeeded ? "PodCompleted" : null)
            : Condition(previous, "Initialized", false, now, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', incomplete)}]");

        var conditions = new JsonArray(
            Condition(previous, "PodReadyToStartContainers", run.Sandbox.Ready, now),
            initialized,
            ready,
            containersReady,
            Existing(previous, "PodScheduled") ?? Condition(previous, "PodScheduled", true, now));
        foreach (var other in (previous["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => !Owned.Contains(c["type"]?.ToString())))
            conditions.Add(other.DeepClone());

        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = conditions,
            ["hostIP"] = hostIp,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = hostIp }),
            ["podIP"] = run.Sandbox.Ip,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = run.Sandbox.Ip }),
            ["startTime"] = previous["startTime"]?.DeepClone() ?? WireTime.Time(run.Sandbox.CreatedAt),
        };
        if (run.Specs.Any(s => s.Role != ContainerRole.App))
            status["initContainerStatuses"] = new JsonArray([.. run.Specs.Where(s => s.Role != ContainerRole.App).Select(s => reports[s.Name])]);
        status["containerStatuses"] = new JsonArray([.. run.Specs.Where(s => s.Role == ContainerRole.App).Select(s => reports[s.Name])]);
        // Fields the scheduler and the API server own stay as they are.
        foreach (var kept in KeptFields)
        {
            if (previous[kept] is { } value)
                status[kept] = value.DeepClone();
        }
        return status;
    }

    /// <summary>
    /// The pod's phase as upstream works it out from its app containers (sidecars do not count): Pending while
    /// initializing or while any has not started; Failed when an init container failed for good; once all have exited,
    /// Succeeded or Failed unless some will restart or a sidecar still runs; Running otherwise.
    /// </summary>
    private static string Phase(PodRun run, ContainerPlan plan)
    {
        if (plan.InitFailed)
            return "Failed";
        if (!plan.Initialized)
            return "Pending";
        int running = 0, waiting = 0, stopped = 0, succeeded = 0;
        foreach (var spec in run.Specs.Where(s => s.Role == ContainerRole.App))
        {
            switch (run.Latest(spec.Name))
            {
                case { State: ContainerState.Running }:
                    running++;
                    break;
                case { State: ContainerState.Exited } exited:
                    stopped++;
                    succeeded += exited.ExitCode == 0 ? 1 : 0;
                    break;
                default:
                    waiting++;
                    break;
            }
        }
        if (waiting > 0)
            return "Pending";
        if (running > 0)
            return "Running";
        if (stopped == 0)
            return "Pending";
        // Finished, but not before its sidecars have stopped too: a terminal status is the last one written.
        if (run.RestartPolicy == "Always" || run.Specs.Any(s => s.Role == ContainerRole.Sidecar && run.Latest(s.Name)?.State == ContainerState.Running))
            return "Running";
        if (stopped == succeeded)
            return "Succeeded";
        return run.RestartPolicy == "Never" ? "Failed" : "Running";
    }

    private static JsonObject ContainerReport(PodRun run, ContainerSpec spec, ContainerPlan plan, ProbeManager probes)
    {
        var latest = run.Latest(spec.Name);
        JsonObject state;
        ContainerStatus? last;
        if (plan.Waiting.TryGetValue(spec.Name, out var waiting))
        {
            state = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = waiting.Reason, ["message"] = waiting.Message } };
            last = latest;
        }
        else
        {
            state = latest switch
            {
                { State: ContainerState.Running, StartedAt: { } since } => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = WireTime.Time(since) } },
                { State: ContainerState.Exited } exited => new JsonObject { ["terminated"] = Terminated(run, exited) },
                _ => new JsonObject
                {
                    ["waiting"] = new JsonObject { ["reason"] = plan.Initialized || plan.Start.Any(s => s.Spec == spec) ? "ContainerCreating" : "PodInitializing" },
                },
            };
            last = run.Previous(spec.Name);
        }
        var running = latest?.State == ContainerState.Running;
        var started = running && probes.Started(run.Key, latest!.Id);
        var report = new JsonObject
        {
            ["name"] = spec.Name,
            ["state"] = state,
            ["lastState"] = last is { State: ContainerState.Exited } ? new JsonObject { ["terminated"] = Terminated(run, last) } : new JsonObject(),
            ["ready"] = spec.Role == ContainerRole.Init
                ? latest is { State: ContainerState.Exited, ExitCode: 0 }
                : running && probes.Ready(run.Key, latest!.Id),
            ["restartCount"] = (int)(latest?.Attempt ?? 0),
            ["image"] = spec.Image,
            ["imageID"] = latest?.ImageRef ?? "",
            ["started"] = started,
        };
        if (latest is not null)
            report["containerID"] = run.ContainerId(latest);
        return report;
    }

    private static JsonObject Terminated(PodRun run, ContainerStatus exited)
    {
        var terminated = new JsonObject { ["exitCode"] = exited.ExitCode, ["reason"] = exited.Reason };
        if (exited.Message.Length > 0)
            terminated["message"] = exited.Message;
        terminated["startedAt"] = exited.StartedAt is { } s ? WireTime.Time(s) : null;
        terminated["finishedAt"] = exited.FinishedAt is { } f ? WireTime.Time(f) : null;
        terminated["containerID"] = run.ContainerId(exited);
        return terminated;
    }

    private static JsonObject Condition(JsonObject previous, string type, bool holds, string now, string? reason = null, string? message = null)
    {
        var status = holds ? "True" : "False";
        var before = Existing(previous, type);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = before is not null && before["status"]?.ToString() == status ? before["lastTransitionTime"]?.DeepClone() : now,
        };
        if (reason is not null)
            condition["reason"] = reason;
        if (message is not null)
            condition["message"] = message;
        return condition;
    }

    private static JsonObject? Existing(JsonObject previous, string type) =>
        (previous["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == type)?.DeepClone().AsObject();

    private static bool ConditionHolds(JsonObject previous, string type) => Existing(previous, type)?["status"]?.ToString() == "True";
}
