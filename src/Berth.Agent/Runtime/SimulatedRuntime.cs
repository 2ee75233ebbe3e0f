using System.Globalization;

namespace Berth.Agent.Runtime;

/// <summary>
/// A runtime without processes, for hollow nodes and tests: sandboxes get an address from the node's pod range,
/// containers start at once and run until stopped, or until the time a pod annotation gives
/// (<c>sim.berth.dev/exit.&lt;container&gt;: "&lt;seconds&gt;s:&lt;exit code&gt;"</c>, e.g. <c>"2s:1"</c>).
/// </summary>
public sealed class SimulatedRuntime(string podAddressPrefix, TimeProvider time) : IContainerRuntime
{
    /// <summary>The annotation prefix that makes a simulated container exit: its name follows.</summary>
    public const string ExitAnnotation = "sim.berth.dev/exit.";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, PodSandbox> _sandboxes = [];
    private readonly Dictionary<string, ContainerStatus> _containers = [];
    private readonly Dictionary<string, (TimeSpan After, int Code)> _exits = [];
    private int _nextAddress = 2;
    private long _nextId;

    public string Version => "simulated://berth";

    public Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var id = NewId();
            var ip = string.Create(CultureInfo.InvariantCulture, $"{podAddressPrefix}.{_nextAddress}");
            _nextAddress = _nextAddress >= 254 ? 2 : _nextAddress + 1;
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
                _containers[container.Id] = Exited(container, 137, "Error");
        }
        return Task.CompletedTask;
    }

    public Task RemovePodSandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _sandboxes.Remove(sandboxId);
            foreach (var id in _containers.Values.Where(c => c.SandboxId == sandboxId).Select(c => c.Id).ToList())
                _containers.Remove(id);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PodSandbox>> ListPodSandboxesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<PodSandbox>>([.. _sandboxes.Values]);
    }

    public Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_sandboxes.ContainsKey(sandboxId))
                throw new InvalidOperationException($"sandbox {sandboxId} does not exist");
            var id = NewId();
            _containers[id] = new ContainerStatus(id, sandboxId, config.Name, config.Attempt, config.Image, "simulated://" + config.Image,
                ContainerState.Created, time.GetUtcNow(), null, null, 0, "");
            if (config.PodAnnotations.TryGetValue(ExitAnnotation + config.Name, out var exit) && ParseExit(exit) is { } planned)
                _exits[id] = planned;
            return Task.FromResult(id);
        }
    }

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var container = _containers[containerId];
            _containers[containerId] = container with { State = ContainerState.Running, StartedAt = time.GetUtcNow() };
        }
        return Task.CompletedTask;
    }

    public Task StopContainerAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A simulated process exits on SIGTERM at once, as a well-behaved one does.
            if (_containers.TryGetValue(containerId, out var container) && container.State == ContainerState.Running)
                _containers[containerId] = Exited(container, 143, "Error");
        }
        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (_gate)
            _containers.Remove(containerId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ExitThoseDue();
            return Task.FromResult<IReadOnlyList<ContainerStatus>>([.. _containers.Values.Where(c => sandboxId is null || c.SandboxId == sandboxId)]);
        }
    }

    /// <summary>Running containers whose planned exit time has come exit now, Completed with 0, Error otherwise.</summary>
    private void ExitThoseDue()
    {
        var now = time.GetUtcNow();
        foreach (var (id, (after, code)) in _exits.ToList())
        {
            if (_containers.TryGetValue(id, out var container) && container is { State: ContainerState.Running, StartedAt: { } started } && started + after <= now)
            {
                _containers[id] = Exited(container, code, code == 0 ? "Completed" : "Error");
                _exits.Remove(id);
            }
            else if (!_containers.ContainsKey(id))
            {
                _exits.Remove(id);
            }
        }
    }

    private static (TimeSpan After, int Code)? ParseExit(string text) =>
        text.Split(':') is [var after, var code] && after.EndsWith('s')
        && double.TryParse(after[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exitCode)
            ? (TimeSpan.FromSeconds(seconds), exitCode)
            : null;

    private ContainerStatus Exited(ContainerStatus container, int code, string reason) =>
        container with { State = ContainerState.Exited, FinishedAt = time.GetUtcNow(), ExitCode = code, Reason = reason };

    private string NewId() => (++_nextId).ToString("x16", CultureInfo.InvariantCulture);
}
