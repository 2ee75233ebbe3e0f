using System.Globalization;
using Berth.Agent.Pods.Probes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>
/// What to do next with a pod's containers, decided from its spec and what the runtime runs (upstream's
/// computePodActions): init containers one by one (sidecars started in order and left running), then the app
/// containers; crashed containers restarted as the restart policy says once their back-off has passed; containers
/// whose liveness or startup probe failed killed; sidecars stopped once the app containers are done for good.
/// </summary>
internal sealed class ContainerPlan
{
    /// <summary>Containers to create and start, with the attempt (restart count) each gets.</summary>
    public List<(ContainerSpec Spec, uint Attempt)> Start { get; } = [];

    /// <summary>Containers created but never started (the agent stopped in between): start them now.</summary>
    public List<ContainerStatus> Resume { get; } = [];

    /// <summary>Containers to stop, and why.</summary>
    public List<(ContainerStatus Container, ContainerSpec Spec, string Why)> Kill { get; } = [];

    /// <summary>Containers left waiting to be restarted: reason (<c>CrashLoopBackOff</c>) and message, by name.</summary>
    public Dictionary<string, (string Reason, string Message)> Waiting { get; } = new(StringComparer.Ordinal);

    /// <summary>When the earliest back-off ends, so that the pod is looked at again then.</summary>
    public DateTimeOffset? Recheck { get; private set; }

    /// <summary>Every init container has completed (sidecars have started).</summary>
    public bool Initialized { get; private set; }

    /// <summary>An init container failed and the restart policy is Never: the pod has failed.</summary>
    public bool InitFailed { get; private set; }

    public static ContainerPlan For(PodRun run, ContainerBackOff backOff, ProbeManager probes, DateTimeOffset now)
    {
        var plan = new ContainerPlan();
        plan.Initialized = run.Specs.Where(s => s.Role == ContainerRole.Init).All(s => run.Latest(s.Name) is { State: ContainerState.Exited, ExitCode: 0 });
        if (!plan.Initialized)
        {
            plan.Initialize(run, backOff, probes, now);
            return plan;
        }

        foreach (var spec in run.Specs.Where(s => s.Role == ContainerRole.App))
            plan.Keep(run, spec, backOff, probes, now);
        var appDone = run.Specs.Where(s => s.Role == ContainerRole.App)
            .All(s => run.Latest(s.Name) is { State: ContainerState.Exited } && !plan.Start.Any(p => p.Spec == s) && !plan.Waiting.ContainsKey(s.Name));
        foreach (var spec in run.Specs.Where(s => s.Role == ContainerRole.Sidecar))
        {
            if (!appDone)
                plan.Keep(run, spec, backOff, probes, now);
            else if (run.Latest(spec.Name) is { State: ContainerState.Running } sidecar)
                plan.Kill.Add((sidecar, spec, "the pod's containers have finished"));
        }
        return plan;
    }

    /// <summary>
    /// Walks the init containers in order: the first that has not completed is started, restarted, or waited for; a
    /// sidecar must have started before the next one runs.
    /// </summary>
    private void Initialize(PodRun run, ContainerBackOff backOff, ProbeManager probes, DateTimeOffset now)
    {
        foreach (var spec in run.Specs.Where(s => s.Role != ContainerRole.App))
        {
            var latest = run.Latest(spec.Name);
            switch (latest)
            {
                case { State: ContainerState.Exited, ExitCode: 0 } when spec.Role == ContainerRole.Init:
                    continue;
                case null:
                    Start.Add((spec, 0));
                    return;
                case { State: ContainerState.Created }:
                    Resume.Add(latest);
                    return;
                case { State: ContainerState.Running } when spec.Role == ContainerRole.Sidecar:
                    if (probes.FailedProbe(run.Key, latest.Id) is { } failed)
                    {
                        Kill.Add((latest, spec, FailedProbe(spec, failed)));
                        return;
                    }
                    if (probes.Started(run.Key, latest.Id))
                        continue;
                    return;
                case { State: ContainerState.Running }:
                    return;
                default:
                    if (spec.Role == ContainerRole.Init && run.RestartPolicy == "Never")
                        InitFailed = true;
                    else
                        RestartOrWait(run, spec, latest, backOff, now);
                    return;
            }
        }
    }

    /// <summary>Keeps an app container or sidecar going: started, restarted after it exits, killed when it fails its probes.</summary>
    private void Keep(PodRun run, ContainerSpec spec, ContainerBackOff backOff, ProbeManager probes, DateTimeOffset now)
    {
        var latest = run.Latest(spec.Name);
        switch (latest)
        {
            case null:
                Start.Add((spec, 0));
                break;
            case { State: ContainerState.Created }:
                Resume.Add(latest);
                break;
            case { State: ContainerState.Running }:
                if (probes.FailedProbe(run.Key, latest.Id) is { } failed)
                    Kill.Add((latest, spec, FailedProbe(spec, failed)));
                break;
            default:
                if (Restarts(spec, run.RestartPolicy, latest.ExitCode))
                    RestartOrWait(run, spec, latest, backOff, now);
                break;
        }
    }

    /// <summary>Leaves a container waiting (for its image, say) with the reason and message its status shows, looked at again at <paramref name="until"/>.</summary>
    public void Wait(string container, string reason, string message, DateTimeOffset? until)
    {
        Waiting[container] = (reason, message);
        if (until is { } at)
            Recheck = Recheck is { } earlier && earlier < at ? earlier : at;
    }

    private void RestartOrWait(PodRun run, ContainerSpec spec, ContainerStatus exited, ContainerBackOff backOff, DateTimeOffset now)
    {
        if (backOff.Waits(run.BackOffKey(spec.Name), exited.FinishedAt ?? now, now, out var delay, out var until))
        {
            Waiting[spec.Name] = ("CrashLoopBackOff", $"back-off {GoDuration(delay)} restarting failed container={spec.Name} pod={run.Name}_{run.Namespace}({run.Uid})");
            Recheck = Recheck is { } earlier && earlier < until ? earlier : until;
        }
        else
        {
            Start.Add((spec, exited.Attempt + 1));
        }
    }

    /// <summary>Sidecars always restart; others as the pod's restart policy says (init containers only after a failure).</summary>
    private static bool Restarts(ContainerSpec spec, string restartPolicy, int exitCode) => spec.Role switch
    {
        ContainerRole.Sidecar => true,
        _ => restartPolicy switch
        {
            "Never" => false,
            "OnFailure" => exitCode != 0,
            _ => spec.Role == ContainerRole.App || exitCode != 0,
        },
    };

    private static string FailedProbe(ContainerSpec spec, ProbeWorker failed) =>
        $"Container {spec.Name} failed {(failed.Use == HandlerUse.StartupProbe ? "startup" : "liveness")} probe, will be restarted";

    /// <summary>A whole-second duration as Go prints it (<c>10s</c>, <c>1m20s</c>, <c>5m0s</c>), which upstream's messages show.</summary>
    private static string GoDuration(TimeSpan duration)
    {
        var seconds = (long)duration.TotalSeconds;
        return seconds switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds}s"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60}s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h{seconds % 3600 / 60}m{seconds % 60}s"),
        };
    }
}
