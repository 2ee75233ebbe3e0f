using Berth.Agent.Runtime;

namespace Berth.Agent.Pods.Probes;

/// <summary>
/// One probe worker per probe of each running container, started when the container runs and stopped when it no
/// longer does, and what they found: whether a container has started, is ready, or must be restarted.
/// </summary>
internal sealed class ProbeManager(IHandlerRunner runner, TimeProvider time)
{
    private static readonly HandlerUse[] Probes = [HandlerUse.StartupProbe, HandlerUse.ReadinessProbe, HandlerUse.LivenessProbe];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<(string ContainerId, HandlerUse Use), ProbeWorker>> _byPod = new(StringComparer.Ordinal);

    /// <summary>Hears of every failed probe (the container, the probe's use and why), for the agent's Unhealthy events.</summary>
    public Action<PodSandbox, ContainerStatus, HandlerUse, string> Failed { get; set; } = (_, _, _, _) => { };

    /// <summary>
    /// Probes the pod's running containers from now on, and no others; <paramref name="changed"/> hears whenever a
    /// verdict flips.
    /// </summary>
    public void Track(string podKey, PodSandbox sandbox, IEnumerable<(ContainerSpec Spec, ContainerStatus Container)> running, Action changed)
    {
        lock (_gate)
        {
            _byPod.TryGetValue(podKey, out var workers);
            var wanted = new HashSet<(string, HandlerUse)>();
            foreach (var (spec, container) in running)
            {
                foreach (var use in Probes)
                {
                    if (spec.Probe(use) is not { } probe)
                        continue;
                    wanted.Add((container.Id, use));
                    workers ??= _byPod[podKey] = [];
                    if (workers.ContainsKey((container.Id, use)))
                        continue;
                    var worker = workers[(container.Id, use)] = new ProbeWorker(use, probe);
                    _ = worker.RunAsync(runner, container, sandbox, () => Started(podKey, container.Id), changed, message => Failed(sandbox, container, use, message), time);
                }
            }
            if (workers is null)
                return;
            foreach (var key in workers.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                workers[key].Dispose();
                workers.Remove(key);
            }
            if (workers.Count == 0)
                _byPod.Remove(podKey);
        }
    }

    /// <summary>Stops probing a pod that is stopping or gone.</summary>
    public void Forget(string podKey) => Track(podKey, null!, [], () => { });

    /// <summary>Whether a running container has started: it has no startup probe, or that passed.</summary>
    public bool Started(string podKey, string containerId) => Worker(podKey, containerId, HandlerUse.StartupProbe)?.Result is null or ProbeResult.Success;

    /// <summary>Whether a started container is ready: it has no readiness probe, or that passes.</summary>
    public bool Ready(string podKey, string containerId) =>
        Started(podKey, containerId) && Worker(podKey, containerId, HandlerUse.ReadinessProbe)?.Result is null or ProbeResult.Success;

    /// <summary>The failed liveness or startup probe that means the container must be restarted, if any.</summary>
    public ProbeWorker? FailedProbe(string podKey, string containerId) =>
        new[] { Worker(podKey, containerId, HandlerUse.StartupProbe), Worker(podKey, containerId, HandlerUse.LivenessProbe) }
            .FirstOrDefault(w => w?.Result == ProbeResult.Failure);

    private ProbeWorker? Worker(string podKey, string containerId, HandlerUse use)
    {
        lock (_gate)
            return _byPod.TryGetValue(podKey, out var workers) && workers.TryGetValue((containerId, use), out var worker) ? worker : null;
    }
}
