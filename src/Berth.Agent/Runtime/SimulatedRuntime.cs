using System.Globalization;

namespace Berth.Agent.Runtime;

/// <summary>
/// A runtime without processes, for hollow nodes and tests: sandboxes get an address from the node's pod range,
/// containers start at once and run until stopped. Behaviour steered by pod annotations comes with the pod
/// lifecycle's remaining parts.
/// </summary>
public sealed class SimulatedRuntime(string podAddressPrefix, TimeProvider time) : IContainerRuntime
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PodSandbox> _sandboxes = [];
    private readonly Dictionary<string, ContainerStatus> _containers = [];
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
            return Task.FromResult<IReadOnlyList<ContainerStatus>>([.. _containers.Values.Where(c => sandboxId is null || c.SandboxId == sandboxId)]);
    }

    private ContainerStatus Exited(ContainerStatus container, int code, string reason) =>
        container with { State = ContainerState.Exited, FinishedAt = time.GetUtcNow(), ExitCode = code, Reason = reason };

    private string NewId() => (++_nextId).ToString("x16", CultureInfo.InvariantCulture);
}
