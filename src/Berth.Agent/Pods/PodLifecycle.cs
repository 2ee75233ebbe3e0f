using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Pods.Probes;
using Berth.Agent.Pods.Volumes;
using Berth.Agent.Runtime;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Queues;
using Berth.Core.Serialization;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Pods;

/// <summary>
/// Runs the pods bound to one node. It watches them (field selector <c>spec.nodeName</c>) and looks at one pod at a
/// time per key: a new pod is admitted or rejected; an admitted one gets a sandbox and its containers in order (see
/// <see cref="ContainerPlan"/>), probes, restarts with back-off, and its status reported; a deleted one is stopped
/// within its grace period (preStop hooks first) and its object then deleted, so that <c>kubectl delete pod</c>
/// returns once it is really gone. What the runtime still runs for pods that no longer exist is removed, and what it
/// runs for pods that do is adopted as it is, so an agent that restarts starts nothing twice.
/// </summary>
/// <remarks>
/// Pods come from <paramref name="shared"/> when given (hollow nodes share one watch), else from a watch of its own;
/// the Services for containers' service links likewise from <paramref name="sharedServices"/>, and the Node that
/// admission reads from <paramref name="sharedNodes"/>, or from watches of its own.
/// Their volumes are set up under <paramref name="volumesDir"/> (none for simulated pods, which have no files).
/// </remarks>
public sealed partial class PodLifecycle(ApiClient client, IContainerRuntime runtime, IHandlerRunner handlers, string nodeName, string hostIp, TimeProvider time,
    ILoggerFactory loggers, BoundPods? shared = null, string? volumesDir = null, ServiceLinks? sharedServices = null, NodeWatch? sharedNodes = null)
{
    /// <summary>How often the runtime is relisted: every second, or every 5 minutes when it tells its events (upstream's two PLEGs).</summary>
    private static readonly TimeSpan RelistPeriod = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan EventedRelistPeriod = TimeSpan.FromMinutes(5);

    private static readonly ApiResource Pods = BoundPods.Resource;

    /// <summary>How soon a container whose ConfigMap or Secret was missing is tried again.</summary>
    private static readonly TimeSpan ConfigRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How soon a pod whose volumes failed is tried again: soon, as upstream's volume manager keeps trying, since a
    /// pod made with its namespace often finds the namespace's root CA ConfigMap or service account a moment later.
    /// </summary>
    private static readonly TimeSpan MountRetry = TimeSpan.FromSeconds(1);

    /// <summary>How often a running pod's ConfigMap, Secret and downward API volumes are brought up to date.</summary>
    private static readonly TimeSpan VolumeResync = TimeSpan.FromSeconds(20);

    private readonly ILogger _logger = loggers.CreateLogger<PodLifecycle>();
    private readonly ContainerBackOff _backOff = new();
    private readonly ProbeManager _probes = new(handlers, time);
    private readonly PodEvents _events = new(client, nodeName, time, loggers);
    private readonly ServiceLinks _services = sharedServices ?? new ServiceLinks(client, loggers);
    private readonly ContainerEnvironment _environment = new(client, nodeName, hostIp);
    private readonly PodVolumes? _volumes = volumesDir is null ? null : new PodVolumes(volumesDir,
        new VolumeFiles(client, new ContainerEnvironment(client, nodeName, hostIp), new ServiceAccountTokens(client, time)), new ClaimedVolumes(client));
    private readonly string _runtimeScheme = runtime.Version.Split("://")[0];

    /// <summary>Pods admitted to this node (by uid); others wait for admission.</summary>
    private readonly ConcurrentDictionary<string, bool> _admitted = new(StringComparer.Ordinal);

    /// <summary>Pods (by uid) and containers (by ID) being stopped in the background.</summary>
    private readonly ConcurrentDictionary<string, bool> _stopping = new(StringComparer.Ordinal);

    private readonly BoundPods _pods = shared ?? new BoundPods(client, nodeName, loggers);

    private readonly NodeWatch _nodes = sharedNodes ?? new NodeWatch(client, nodeName, loggers.CreateLogger<NodeWatch>());

    private ImagePulls? _images;

    /// <summary>Queues a pod (by key) for another look; set once running.</summary>
    private Action<string> _requeue = _ => { };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(time);
        _requeue = queue.Add;
        _images = new ImagePulls(runtime, _events, time);
        _probes.Failed = (sandbox, container, use, message) => _events.Unhealthy(sandbox.Pod, container.Name, use, message);
        var recording = _events.RunAsync(cancellationToken);
        _pods.Subscribe(nodeName, queue.Add);
        var watching = shared is null ? _pods.RunAsync(cancellationToken) : Task.CompletedTask;
        var watchingServices = sharedServices is null ? _services.RunAsync(cancellationToken) : Task.CompletedTask;
        var watchingNodes = sharedNodes is null ? _nodes.RunAsync(cancellationToken) : Task.CompletedTask;
        // Each look at a pod starts from the watch's copy: none is taken before the watch has listed them all.
        await _pods.Synced.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var events = runtime.ContainerEvents(cancellationToken);
        var following = events is null ? Task.CompletedTask : FollowAsync(events, queue, cancellationToken);
        var relisting = RelistAsync(queue, events is null ? RelistPeriod : EventedRelistPeriod, cancellationToken);
        await queue.RunAsync(runtime.PodWorkers, SyncAsync, _logger, cancellationToken);
        await watching;
        await watchingServices;
        await watchingNodes;
        await following;
        await relisting;
        await recording;
    }

    /// <summary>Queues the pod of every container whose state the runtime says changed.</summary>
    private async Task FollowAsync(IAsyncEnumerable<ContainerEvent> events, WorkQueue<string> queue, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in events.WithCancellation(cancellationToken))
            {
                // Containers are created and started by the agent itself; what it must hear of is that one ended.
                if (e.State == ContainerState.Exited && (await runtime.ListPodSandboxesAsync(cancellationToken)).FirstOrDefault(s => s.Id == e.SandboxId) is { } sandbox)
                    queue.Add($"{sandbox.Pod.Namespace}/{sandbox.Pod.Name}");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Looks at the runtime every <paramref name="period"/>, as upstream's PLEG does, and queues each pod one of whose
    /// containers changed state (exited, say), in case the runtime did not tell; the first look queues every pod the
    /// runtime has, to adopt or remove them.
    /// </summary>
    private async Task RelistAsync(WorkQueue<string> queue, TimeSpan period, CancellationToken cancellationToken)
    {
        // Two maps used in turn, so that a relist of an unchanged node allocates nothing but the runtime's answer.
        Dictionary<string, ContainerState>? seen = null;
        var now = new Dictionary<string, ContainerState>(StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                changed.Clear();
                now.Clear();
                foreach (var container in await runtime.ListContainersAsync(null, cancellationToken))
                {
                    now[container.Id] = container.State;
                    if (seen is null || !seen.TryGetValue(container.Id, out var before) || before != container.State)
                        changed.Add(container.SandboxId);
                }
                if (seen is null || changed.Count > 0)
                {
                    foreach (var sandbox in await runtime.ListPodSandboxesAsync(cancellationToken))
                    {
                        if (seen is null || changed.Contains(sandbox.Id))
                            queue.Add($"{sandbox.Pod.Namespace}/{sandbox.Pod.Name}");
                    }
                }
                (seen, now) = (now, seen ?? new Dictionary<string, ContainerState>(StringComparer.Ordinal));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = (key[..key.IndexOf('/', StringComparison.Ordinal)], key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        var path = Pods.ObjectPath(ns, name);
        var found = _pods.Find(ns, name);
        var sandboxes = (await runtime.ListPodSandboxesAsync(cancellationToken)).Where(s => s.Pod.Namespace == ns && s.Pod.Name == name).ToList();
        if (found is null || found.NodeName != nodeName)
        {
            foreach (var sandbox in sandboxes.Where(s => !_stopping.ContainsKey(s.Pod.Uid)))
            {
                Forget(key, sandbox.Pod.Uid);
                await RemoveAsync(sandbox, cancellationToken);
                if (_volumes is not null)
                    await _volumes.TearDownAsync(sandbox.Pod.Uid);
            }
            return ReconcileResult.Done;
        }
        var pod = found.Parse();
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        // A sandbox of an earlier pod with this name goes first.
        foreach (var stale in sandboxes.Where(s => s.Pod.Uid != uid && !_stopping.ContainsKey(s.Pod.Uid)))
        {
            Forget(key, stale.Pod.Uid);
            await RemoveAsync(stale, cancellationToken);
            if (_volumes is not null)
                await _volumes.TearDownAsync(stale.Pod.Uid);
        }
        sandboxes.RemoveAll(s => s.Pod.Uid != uid);

        if (pod["metadata"]!["deletionTimestamp"] is not null)
        {
            Terminate(key, pod, sandboxes, cancellationToken);
            return ReconcileResult.Done;
        }
        if (_stopping.ContainsKey(uid))
            return ReconcileResult.Done;
        if (pod["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            // A finished pod keeps its sandbox (and its containers' last states) until it is deleted, but runs nothing.
            _probes.Forget(key);
            _admitted.TryRemove(uid, out _);
            foreach (var sandbox in sandboxes.Where(s => s.Ready))
            {
                await runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken);
                await ReportStoppedAsync(path, pod, sandbox, cancellationToken);
            }
            return ReconcileResult.Done;
        }

        var current = sandboxes.FirstOrDefault(s => s.Ready);
        if (current is null && sandboxes.Count == 0 && !_admitted.ContainsKey(uid) && await RefusalAsync(pod, uid, cancellationToken) is { } refusal)
            return await RejectAsync(path, pod, refusal, cancellationToken);
        IReadOnlyDictionary<string, PodVolume> volumes = new Dictionary<string, PodVolume>();
        if (_volumes is not null)
        {
            try
            {
                volumes = await _volumes.SetUpAsync(pod, cancellationToken);
            }
            catch (VolumeException e)
            {
                _events.FailedMount(Identity(pod, uid), e.Message);
                return ReconcileResult.After(MountRetry);
            }
        }
        if (current is null)
        {
            foreach (var dead in sandboxes)
                await RemoveAsync(dead, cancellationToken);
            current = await StartSandboxAsync(pod, uid, (uint)sandboxes.Count, cancellationToken);
        }
        _admitted[uid] = true;

        var run = await RunOfAsync(pod, current, cancellationToken);
        var plan = ContainerPlan.For(run, _backOff, _probes, time.GetUtcNow());
        var (changed, waits) = await ActAsync(key, run, plan, pod, volumes, cancellationToken);
        if (changed)
        {
            run = await RunOfAsync(pod, current, cancellationToken);
            plan = ContainerPlan.For(run, _backOff, _probes, time.GetUtcNow());
            foreach (var (container, reason, message, retryAt) in waits.Where(w => plan.Start.Any(s => s.Spec.Name == w.Name)))
                plan.Wait(container, reason, message, retryAt);
        }

        await WriteStatusAsync(path, pod, PodStatusReport.For(pod, run, plan, _probes, hostIp, WireTime.Time(time.GetUtcNow())), cancellationToken);
        var recheck = _volumes is not null && PodVolumes.FollowsApiData(pod) ? time.GetUtcNow() + VolumeResync : (DateTimeOffset?)null;
        if (plan.Recheck is { } at && (recheck is null || at < recheck))
            recheck = at;
        return recheck is { } next ? ReconcileResult.After(next - time.GetUtcNow()) : ReconcileResult.Done;
    }

    /// <summary>The pod's containers as the runtime has them, with probes following the running ones.</summary>
    private async Task<PodRun> RunOfAsync(JsonObject pod, PodSandbox sandbox, CancellationToken cancellationToken)
    {
        var run = new PodRun(pod, sandbox, await runtime.ListContainersAsync(sandbox.Id, cancellationToken), _runtimeScheme);
        var key = run.Key;
        _probes.Track(key, sandbox,
            run.Specs.Select(s => (s, run.Latest(s.Name))).Where(p => p.Item2?.State == ContainerState.Running).Select(p => (p.s, p.Item2!)),
            () => _requeue(key));
        return run;
    }

    /// <summary>Carries out a plan: whether anything changed in the runtime, and the containers left waiting for their images.</summary>
    private async Task<(bool Changed, List<ContainerWait> Waits)> ActAsync(string key, PodRun run, ContainerPlan plan, JsonObject pod,
        IReadOnlyDictionary<string, PodVolume> volumes, CancellationToken cancellationToken)
    {
        var waits = new List<ContainerWait>();
        foreach (var (container, spec, why) in plan.Kill)
        {
            Log.Killing(_logger, key, spec.Name, why);
            _events.Killing(run.Sandbox.Pod, spec, why);
            var grace = GracePeriod(pod, spec.Probe(HandlerUse.LivenessProbe));
            StopInBackground(key, container.Id, () => StopContainerAsync(spec, container, run.Sandbox, time.GetUtcNow() + grace, CancellationToken.None));
        }
        foreach (var created in plan.Resume)
            await runtime.StartContainerAsync(created.Id, cancellationToken);
        foreach (var (name, (reason, _)) in plan.Waiting)
        {
            if (reason == "CrashLoopBackOff")
                _events.BackOff(run.Sandbox.Pod, run.Specs.First(s => s.Name == name));
        }
        var started = false;
        foreach (var (spec, attempt) in plan.Start)
        {
            var credentials = await PullSecrets.ForAsync(client, pod, spec.Image, cancellationToken);
            var image = await _images!.EnsureAsync(pod, run.Sandbox.Pod, spec, credentials, cancellationToken);
            if (image.ImageRef is not { } imageRef)
            {
                waits.Add(new ContainerWait(spec.Name, image.Reason, image.Message, image.RetryAt));
                continue;
            }
            List<KeyValuePair<string, string>> env;
            JsonObject expanded;
            List<ContainerMount> mounts;
            try
            {
                (env, expanded) = await _environment.ResolveAsync(pod, run.Sandbox, spec.Source, await _services.ForAsync(pod, cancellationToken), cancellationToken);
                mounts = _volumes is null ? [] : PodVolumes.Mounts(spec.Source, volumes);
                if (volumesDir is not null && TerminationLog.Prepare(volumesDir, run.Sandbox.Pod.Uid, spec.Source, attempt, mounts) is { } terminationLog)
                    mounts.Add(terminationLog);
                if (volumesDir is not null && HostsFile.Prepare(volumesDir, run.Sandbox.Pod.Uid, pod, run.Sandbox.Ip, mounts) is { } hosts)
                    mounts.Add(hosts);
            }
            catch (Exception e) when (e is ContainerConfigException or VolumeException)
            {
                _events.ConfigFailed(run.Sandbox.Pod, spec, e.Message);
                waits.Add(new ContainerWait(spec.Name, "CreateContainerConfigError", e.Message, time.GetUtcNow() + ConfigRetry));
                continue;
            }
            if (attempt > 0)
                _backOff.Restarted(run.BackOffKey(spec.Name), time.GetUtcNow());
            var id = await runtime.CreateContainerAsync(run.Sandbox.Id, new ContainerConfig(spec.Name, attempt, spec.Image, imageRef, pod, expanded, env, mounts), cancellationToken);
            _events.Created(run.Sandbox.Pod, spec);
            await runtime.StartContainerAsync(id, cancellationToken);
            _events.Started(run.Sandbox.Pod, spec);
            started = true;
            if (spec.Hook(HandlerUse.PostStartHook) is { } hook)
                await PostStartAsync(key, pod, run, spec, id, hook, cancellationToken);
        }
        foreach (var old in run.Superseded)
            await runtime.RemoveContainerAsync(old.Id, cancellationToken);
        foreach (var wait in waits)
            plan.Wait(wait.Name, wait.Reason, wait.Message, wait.RetryAt);
        return (started || plan.Resume.Count > 0, waits);
    }

    /// <summary>Runs a postStart hook; a container whose hook fails is killed, and restarted as its policy says.</summary>
    private async Task PostStartAsync(string key, JsonObject pod, PodRun run, ContainerSpec spec, string containerId, JsonObject hook, CancellationToken cancellationToken)
    {
        var container = (await runtime.ListContainersAsync(run.Sandbox.Id, cancellationToken)).Single(c => c.Id == containerId);
        var grace = GracePeriod(pod, null);
        var result = await Hooks.RunAsync(handlers, container, run.Sandbox, hook, HandlerUse.PostStartHook, grace, time, cancellationToken);
        if (result.Succeeded)
            return;
        Log.Killing(_logger, key, spec.Name, $"FailedPostStartHook: {result.Message}");
        StopInBackground(key, containerId, () => StopContainerAsync(spec, container, run.Sandbox, time.GetUtcNow() + grace, CancellationToken.None));
    }

    /// <summary>
    /// Reports the containers of a pod that failed while they ran (evicted, say) as stopped, keeping the phase, reason
    /// and message it failed with.
    /// </summary>
    private async Task ReportStoppedAsync(string path, JsonObject pod, PodSandbox sandbox, CancellationToken cancellationToken)
    {
        var run = new PodRun(pod, sandbox with { Ready = false }, await runtime.ListContainersAsync(sandbox.Id, cancellationToken), _runtimeScheme);
        var status = PodStatusReport.For(pod, run, ContainerPlan.For(run, _backOff, _probes, time.GetUtcNow()), _probes, hostIp, WireTime.Time(time.GetUtcNow()));
        foreach (var field in new[] { "phase", "reason", "message" })
        {
            status.Remove(field);
            if (pod["status"]?[field] is { } kept)
                status[field] = kept.DeepClone();
        }
        await WriteStatusAsync(path, pod, status, cancellationToken);
    }

    private async Task WriteStatusAsync(string path, JsonObject pod, JsonObject status, CancellationToken cancellationToken)
    {
        if (JsonNode.DeepEquals(status, pod["status"]))
            return;
        pod["status"] = status;
        var written = await client.PutAsync(path + "/status", pod, cancellationToken);
        // The pod changed since the watch's copy this look started from: the watch brings the newer one, and with
        // it another look.
        if (written.IsConflict)
            return;
        written.ThrowIfFailed($"reporting the status of pod {path}", goneIsFine: true);
    }

    private async Task<PodSandbox> StartSandboxAsync(JsonObject pod, string uid, uint attempt, CancellationToken cancellationToken)
    {
        var metadata = pod["metadata"]!;
        var config = new PodSandboxConfig(metadata["name"]!.GetValue<string>(), metadata["namespace"]!.GetValue<string>(), uid, attempt);
        var id = await runtime.RunPodSandboxAsync(config, pod, cancellationToken);
        return (await runtime.ListPodSandboxesAsync(cancellationToken)).Single(s => s.Id == id);
    }

    private static PodSandboxConfig Identity(JsonObject pod, string uid) =>
        new(pod["metadata"]!["name"]!.GetValue<string>(), pod["metadata"]!["namespace"]!.GetValue<string>(), uid, 0);

    private void Forget(string key, string uid)
    {
        _probes.Forget(key);
        _backOff.Forget(uid);
        _images?.Forget(uid);
        _admitted.TryRemove(uid, out _);
    }

    /// <summary>The grace period for killing a container: its probe's own, else the pod's (30 s by default).</summary>
    private static TimeSpan GracePeriod(JsonObject pod, JsonObject? probe) =>
        TimeSpan.FromSeconds(probe?["terminationGracePeriodSeconds"]?.GetValue<long>() ?? pod["spec"]?["terminationGracePeriodSeconds"]?.GetValue<long>() ?? 30);

    private TimeSpan Remaining(DateTimeOffset deadline) => Max(deadline - time.GetUtcNow(), TimeSpan.Zero);

    private static T Max<T>(T a, T b) where T : IComparable<T> => a.CompareTo(b) >= 0 ? a : b;


    /// <summary>A container that could not be created yet: the waiting reason and message its status shows, and when to try again.</summary>
    private sealed record ContainerWait(string Name, string Reason, string Message, DateTimeOffset? RetryAt);

    private static partial class Log
    {
        [LoggerMessage(4100, LogLevel.Information, "Pod {Pod}: stopping container {Container}: {Why}")]
        public static partial void Killing(ILogger logger, string pod, string container, string why);

        [LoggerMessage(4101, LogLevel.Warning, "Pod {Pod} could not be stopped: {Reason}")]
        public static partial void StopFailed(ILogger logger, string pod, string reason);

        [LoggerMessage(4102, LogLevel.Warning, "Pod {Pod}: the preStop hook of container {Container} failed: {Reason}")]
        public static partial void PreStopFailed(ILogger logger, string pod, string container, string reason);

        [LoggerMessage(4103, LogLevel.Information, "Pod {Pod} rejected: {Message}")]
        public static partial void Rejected(ILogger logger, string pod, string message);
    }
}
