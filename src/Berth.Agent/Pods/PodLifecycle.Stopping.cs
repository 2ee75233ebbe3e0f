using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>Stopping pods and containers: gracefully in the background, or at once for what belongs to no pod.</summary>
public sealed partial class PodLifecycle
{
    /// <summary>
    /// Stops a deleted pod in the background: each running container's preStop hook, then SIGTERM, SIGKILL when the
    /// grace period ends; then the sandbox; then the pod object is deleted for good (grace 0, this uid only).
    /// </summary>
    private void Terminate(string key, JsonObject pod, List<PodSandbox> sandboxes, CancellationToken cancellationToken)
    {
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        var path = Pods.ObjectPath(pod["metadata"]!["namespace"]!.GetValue<string>(), pod["metadata"]!["name"]!.GetValue<string>());
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(pod["metadata"]!["deletionGracePeriodSeconds"]?.GetValue<long>() ?? 0);
        var specs = ContainerSpec.Of(pod["spec"] as JsonObject ?? []);
        StopInBackground(key, uid, async () =>
        {
            _probes.Forget(key);
            foreach (var sandbox in sandboxes)
            {
                var running = (await runtime.ListContainersAsync(sandbox.Id, cancellationToken)).Where(c => c.State == ContainerState.Running).ToList();
                foreach (var container in running)
                {
                    if (specs.FirstOrDefault(s => s.Name == container.Name) is { } spec)
                        _events.Killing(sandbox.Pod, spec, $"Stopping container {spec.Name}");
                }
                await Task.WhenAll(running.Select(c => StopContainerAsync(specs.FirstOrDefault(s => s.Name == c.Name), c, sandbox, deadline, cancellationToken)));
                await RemoveAsync(sandbox, cancellationToken);
            }
            var options = new JsonObject
            {
                ["kind"] = "DeleteOptions",
                ["apiVersion"] = "v1",
                ["gracePeriodSeconds"] = 0,
                ["preconditions"] = new JsonObject { ["uid"] = uid },
            };
            if (_volumes is not null)
                await _volumes.TearDownAsync(uid);
            (await client.DeleteAsync(path, options, cancellationToken)).ThrowIfFailed($"deleting pod {key}", goneIsFine: true);
            Forget(key, uid);
        });
    }

    /// <summary>Runs a stop (of a pod or a container) once at a time, and looks at the pod again when it is over.</summary>
    private void StopInBackground(string key, string what, Func<Task> stop)
    {
        if (!_stopping.TryAdd(what, true))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await stop();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.StopFailed(_logger, key, e.Message);
            }
            finally
            {
                _stopping.TryRemove(what, out _);
                _requeue(key);
            }
        });
    }

    /// <summary>preStop (within the grace period), then SIGTERM and SIGKILL at the deadline (at least 2 s after a hook, as upstream).</summary>
    private async Task StopContainerAsync(ContainerSpec? spec, ContainerStatus container, PodSandbox sandbox, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        if (spec?.Hook(HandlerUse.PreStopHook) is { } hook)
        {
            var result = await Hooks.RunAsync(handlers, container, sandbox, hook, HandlerUse.PreStopHook, Remaining(deadline), time, cancellationToken);
            if (!result.Succeeded)
                Log.PreStopFailed(_logger, sandbox.Pod.Namespace + "/" + sandbox.Pod.Name, container.Name, result.Message);
            deadline = Max(deadline, time.GetUtcNow() + TimeSpan.FromSeconds(2));
        }
        await runtime.StopContainerAsync(container.Id, Remaining(deadline), cancellationToken);
    }

    /// <summary>Stops what still runs in a sandbox at once, then the sandbox, and removes it.</summary>
    private async Task RemoveAsync(PodSandbox sandbox, CancellationToken cancellationToken)
    {
        foreach (var container in await runtime.ListContainersAsync(sandbox.Id, cancellationToken))
        {
            if (container.State == ContainerState.Running)
                await runtime.StopContainerAsync(container.Id, TimeSpan.Zero, cancellationToken);
        }
        await runtime.StopPodSandboxAsync(sandbox.Id, cancellationToken);
        await runtime.RemovePodSandboxAsync(sandbox.Id, cancellationToken);
    }
}
