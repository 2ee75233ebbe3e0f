using Berth.Agent.Runtime;
using Berth.Client;
using Berth.Client.Events;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Pods;

/// <summary>
/// The events the agent records about pods and their containers, with upstream kubelet's reasons and messages, so
/// that <c>kubectl describe pod</c> tells the same story: images pulled, containers created, started and stopped,
/// probes failing, restarts backing off.
/// </summary>
internal sealed class PodEvents(ApiClient client, string nodeName, TimeProvider time, ILoggerFactory loggers)
{
    private readonly EventRecorder _recorder = new(client, "kubelet", time, loggers.CreateLogger<EventRecorder>(), nodeName);

    public Task RunAsync(CancellationToken cancellationToken) => _recorder.RunAsync(cancellationToken);

    public void Pulling(PodSandboxConfig pod, ContainerSpec container) =>
        Normal(pod, container, "Pulling", $"Pulling image \"{container.Image}\"");

    public void Pulled(PodSandboxConfig pod, ContainerSpec container, TimeSpan took) =>
        Normal(pod, container, "Pulled", $"Successfully pulled image \"{container.Image}\" in {Duration(took)}");

    public void AlreadyPresent(PodSandboxConfig pod, ContainerSpec container) =>
        Normal(pod, container, "Pulled", $"Container image \"{container.Image}\" already present on machine");

    public void PullFailed(PodSandboxConfig pod, ContainerSpec container, string reason, string message)
    {
        Warning(pod, container, "Failed", message);
        Warning(pod, container, "Failed", $"Error: {reason}");
    }

    public void PullBackOff(PodSandboxConfig pod, ContainerSpec container)
    {
        Normal(pod, container, "BackOff", $"Back-off pulling image \"{container.Image}\"");
        Warning(pod, container, "Failed", "Error: ImagePullBackOff");
    }

    public void ConfigFailed(PodSandboxConfig pod, ContainerSpec container, string message) =>
        Warning(pod, container, "Failed", $"Error: {message}");

    public void FailedMount(PodSandboxConfig pod, string message) =>
        _recorder.Record("v1", "Pod", new System.Text.Json.Nodes.JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
            "Warning", "FailedMount", message);

    public void Created(PodSandboxConfig pod, ContainerSpec container) => Normal(pod, container, "Created", $"Created container: {container.Name}");

    public void Started(PodSandboxConfig pod, ContainerSpec container) => Normal(pod, container, "Started", $"Started container {container.Name}");

    public void Killing(PodSandboxConfig pod, ContainerSpec container, string why) => Normal(pod, container, "Killing", why);

    public void BackOff(PodSandboxConfig pod, ContainerSpec container) =>
        Warning(pod, container, "BackOff", $"Back-off restarting failed container {container.Name} in pod {pod.Name}_{pod.Namespace}({pod.Uid})");

    /// <summary>A failed probe: <c>Liveness probe failed: …</c>.</summary>
    public void Unhealthy(PodSandboxConfig pod, string container, HandlerUse use, string message)
    {
        var kind = use switch
        {
            HandlerUse.StartupProbe => "Startup",
            HandlerUse.ReadinessProbe => "Readiness",
            _ => "Liveness",
        };
        Record(pod, $"spec.containers{{{container}}}", "Warning", "Unhealthy", $"{kind} probe failed: {message}");
    }

    private void Normal(PodSandboxConfig pod, ContainerSpec container, string reason, string message) =>
        Record(pod, FieldPath(container), "Normal", reason, message);

    private void Warning(PodSandboxConfig pod, ContainerSpec container, string reason, string message) =>
        Record(pod, FieldPath(container), "Warning", reason, message);

    private void Record(PodSandboxConfig pod, string fieldPath, string type, string reason, string message) =>
        _recorder.Record("v1", "Pod", new System.Text.Json.Nodes.JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
            type, reason, message, fieldPath);

    private static string FieldPath(ContainerSpec container) =>
        container.Role == ContainerRole.App ? $"spec.containers{{{container.Name}}}" : $"spec.initContainers{{{container.Name}}}";

    /// <summary>A duration as Go prints one (<c>196ms</c>, <c>1.2s</c>).</summary>
    private static string Duration(TimeSpan took) => took.TotalSeconds < 1
        ? $"{(int)took.TotalMilliseconds}ms"
        : took.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s";
}
