using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Berth.Agent.Nodes;

namespace Berth.Agent.Runtime;

/// <summary>
/// A runtime without processes, for hollow nodes and tests. Sandboxes get an address from the node's pod CIDR;
/// containers start at once and run until stopped. A pod's annotations steer its containers, by container name:
/// <list type="bullet">
/// <item><c>sim.berth.dev/exit.&lt;container&gt;: "2s:1"</c> — exits 2 s after it starts with code 1 (Error; 0 is
/// Completed); a third part names the reason, e.g. <c>"1s:137:OOMKilled"</c>;</item>
/// <item><c>sim.berth.dev/&lt;handler&gt;-fails.&lt;container&gt;: "0s-5s"</c> — its startup, readiness or liveness probe,
/// or its poststart or prestop hook, fails between those times after it started (<c>"3s-"</c>: from 3 s on);</item>
/// <item><c>sim.berth.dev/ignore-sigterm.&lt;container&gt;: "true"</c> — it is only killed when its grace period ends.</item>
/// </list>
/// </summary>
public sealed class SimulatedRuntime(PodNetwork network, TimeProvider time) : IContainerRuntime, IHandlerRunner
{
    /// <summary>The annotation prefix that makes a simulated container exit: its name follows.</summary>
    public const string ExitAnnotation = "sim.berth.dev/exit.";

    private const string Prefix = "sim.berth.dev/";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, PodSandbox> _sandboxes = [];
    private readonly Dictionary<string, ContainerStatus> _containers = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _annotations = [];
    private readonly Dictionary<string, (TimeSpan After, int Code, string Reason)> _exits = [];
    private readonly Channel<ContainerEvent> _events = Channel.CreateUnbounded<ContainerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private long _nextId;

    public string Version => "simulated://berth";

    public int PodWorkers => 2;

    public Task<string> RunPodSandboxAsync(PodSandboxConfig config, JsonObject pod, CancellationToken cancellationToken)
    {
        var ip = network.NextAddress();
        lock (_gate)
        {
            var id = NewId();
            _sandboxes[id] = new PodSandbox(id, config, ip, Ready: true, time.GetUtcNow());
            return Task.FromResult(id);
        }
    }

    public Task StopPodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_sandboxes.TryGetValue(sandboxId, out var sandbox))
                _sandboxes[sandboxId] = sandbox with { Ready = false };
            foreach (var container in _containers.Values.Where(c => c.SandboxId == sandboxId && c.State == ContainerState.Running).ToList())
                Set(Exited(container, 137, "Error"));
        }
        return Task.CompletedTask;
    }

    public Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _sandboxes.Remove(sandboxId);
            foreach (var id in _containers.Values.Where(c => c.SandboxId == sandboxId).Select(c => c.Id).ToList())
                Forget(id);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PodSandbox>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<PodSandbox>>([.. _sandboxes.Values]);
    }

    /// <summary>Every image is there: nothing is pulled.</summary>
    public Task<string?> ImageStatusAsync(string image, CancellationToken cancellationToken) => Task.FromResult<string?>("simulated://" + image);

    public Task<string> PullImageAsync(string image, RegistryAuth? auth, JsonObject pod, CancellationToken cancellationToken) =>
        Task.FromResult("simulated://" + image);

    public Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_sandboxes.ContainsKey(sandboxId))
                throw new InvalidOperationException($"sandbox {sandboxId} does not exist");
            var id = NewId();
            Set(new ContainerStatus(id, sandboxId, config.Name, config.Attempt, config.Image, config.ImageRef,
                ContainerState.Created, time.GetUtcNow(), null, null, 0, ""));
            var annotations = Annotations(config.Pod);
            _annotations[id] = annotations;
            if (annotations.TryGetValue(ExitAnnotation + config.Name, out var exit) && ParseExit(exit) is { } planned)
                _exits[id] = planned;
            return Task.FromResult(id);
        }
    }

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var container = _containers[containerId];
            Set(container with { State = ContainerState.Running, StartedAt = time.GetUtcNow() });
            if (_exits.TryGetValue(containerId, out var exit))
                _ = ExitLaterAsync(containerId, exit.After);
        }
        return Task.CompletedTask;
    }

    public async Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool ignoresSigterm;
        lock (_gate)
        {
            if (!_containers.TryGetValue(containerId, out var container) || container.State != ContainerState.Running)
                return;
            ignoresSigterm = Annotation(containerId, container.Name, "ignore-sigterm.") == "true";
            // A well-behaved process exits on SIGTERM at once.
            if (!ignoresSigterm)
            {
                Set(Exited(container, 143, "Error"));
                return;
            }
        }
        // One that ignores it runs until SIGKILL at the end of its grace period.
        await Task.Delay(timeout, time, cancellationToken);
        lock (_gate)
        {
            if (_containers.TryGetValue(containerId, out var container) && container.State == ContainerState.Running)
                Set(Exited(container, 137, "Error"));
        }
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_gate)
            Forget(containerId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<ContainerStatus>>([.. _containers.Values.Where(c => sandboxId is null || c.SandboxId == sandboxId)]);
    }

    public async IAsyncEnumerable<ContainerEvent>? ContainerEvents([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
            yield return e;
    }

    public Task<HandlerResult> RunAsync(ContainerStatus container, PodSandbox sandbox, JsonObject handler, HandlerUse use, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var name = use switch
        {
            HandlerUse.StartupProbe => "startup",
            HandlerUse.ReadinessProbe => "readiness",
            HandlerUse.LivenessProbe => "liveness",
            HandlerUse.PostStartHook => "poststart",
            _ => "prestop",
        };
        string? window;
        lock (_gate)
            window = Annotation(container.Id, container.Name, name + "-fails.");
        var since = time.GetUtcNow() - (container.StartedAt ?? time.GetUtcNow());
        return Task.FromResult(window is not null && ParseWindow(window) is var (from, until) && since >= from && since < until
            ? new HandlerResult(false, $"simulated {name} failure ({window} after start)")
            : HandlerResult.Success);
    }

    /// <summary>Makes a container exit as planned once its time has come (a timer may fire a hair early: it exits then).</summary>
    private async Task ExitLaterAsync(string containerId, TimeSpan after)
    {
        await Task.Delay(after, time);
        lock (_gate)
        {
            if (_exits.Remove(containerId, out var exit) && _containers.TryGetValue(containerId, out var container) && container.State == ContainerState.Running)
                Set(Exited(container, exit.Code, exit.Reason));
        }
    }

    /// <summary>Records a container's new state and tells whoever follows the runtime's events.</summary>
    private void Set(ContainerStatus container)
    {
        var changed = !_containers.TryGetValue(container.Id, out var before) || before.State != container.State;
        _containers[container.Id] = container;
        if (changed)
            _events.Writer.TryWrite(new ContainerEvent(container.Id, container.SandboxId, container.State));
    }

    private string? Annotation(string containerId, string containerName, string kind) =>
        _annotations.TryGetValue(containerId, out var annotations) && annotations.TryGetValue(Prefix + kind + containerName, out var value) ? value : null;

    private void Forget(string containerId)
    {
        _containers.Remove(containerId);
        _annotations.Remove(containerId);
        _exits.Remove(containerId);
    }

    private static (TimeSpan After, int Code, string Reason)? ParseExit(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is not (2 or 3) || Seconds(parts[0]) is not { } after
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
        {
            return null;
        }
        return (after, code, parts.Length == 3 ? parts[2] : code == 0 ? "Completed" : "Error");
    }

    private static (TimeSpan From, TimeSpan Until)? ParseWindow(string text) =>
        text.Split('-') is [var from, var until] && Seconds(from) is { } start
            ? (start, until.Length == 0 ? TimeSpan.MaxValue : Seconds(until) ?? TimeSpan.MaxValue)
            : null;

    private static TimeSpan? Seconds(string text) =>
        text.EndsWith('s') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static Dictionary<string, string> Annotations(JsonObject pod) =>
        (pod["metadata"]?["annotations"] as JsonObject ?? []).ToDictionary(a => a.Key, a => a.Value?.ToString() ?? "", StringComparer.Ordinal);

    private ContainerStatus Exited(ContainerStatus container, int code, string reason) =>
        container with { State = ContainerState.Exited, FinishedAt = time.GetUtcNow(), ExitCode = code, Reason = reason };

    private string NewId() => (++_nextId).ToString("x16", CultureInfo.InvariantCulture);
}
