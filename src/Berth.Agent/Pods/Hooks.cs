using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>
/// Runs a lifecycle hook's handler within a time limit: a <c>sleep</c> the agent waits out itself, anything else
/// through the runtime's handler runner.
/// </summary>
internal static class Hooks
{
    public static async Task<HandlerResult> RunAsync(IHandlerRunner runner, ContainerStatus container, PodSandbox sandbox, JsonObject hook, HandlerUse use,
        TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            if (hook["sleep"]?["seconds"] is JsonValue seconds && seconds.TryGetValue<long>(out var wait))
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), time, timeout.Token);
                return HandlerResult.Success;
            }
            return await runner.RunAsync(container, sandbox, hook, use, limit, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HandlerResult(false, $"did not finish within {limit.TotalSeconds:0}s");
        }
    }
}
