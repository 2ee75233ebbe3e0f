using System.Text.Json.Nodes;

namespace Berth.Agent.Runtime;

/// <summary>What a probe or lifecycle handler is run for.</summary>
public enum HandlerUse
{
    StartupProbe,
    ReadinessProbe,
    LivenessProbe,
    PostStartHook,
    PreStopHook,
}

/// <summary>How a handler went: succeeded or not, and why not, in the words events and statuses show.</summary>
public sealed record HandlerResult(bool Succeeded, string Message)
{
    public static HandlerResult Success { get; } = new(true, "");
}

/// <summary>
/// Runs a probe's or lifecycle hook's handler (<c>exec</c>, <c>httpGet</c>, <c>tcpSocket</c>, <c>grpc</c>) against a
/// running container. The simulated runtime answers from its pods' annotations; real containers are probed through
/// CRI's ExecSync and over the pod network (<c>Cri/CriHandlers</c>). A <c>sleep</c> handler never gets here: the agent sleeps itself.
/// </summary>
public interface IHandlerRunner
{
    Task<HandlerResult> RunAsync(ContainerStatus container, PodSandbox sandbox, JsonObject handler, HandlerUse use, TimeSpan timeout, CancellationToken cancellationToken);
}
