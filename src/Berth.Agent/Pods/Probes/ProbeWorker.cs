using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods.Probes;

/// <summary>A probe's verdict: none yet (a startup probe before it passed), passed or failed.</summary>
internal enum ProbeResult
{
    Unknown,
    Success,
    Failure,
}

/// <summary>
/// Probes one container instance for one use until stopped: waits the initial delay after the container started,
/// then runs the handler every period, and flips its result once the success or failure threshold is reached in a
/// row. Readiness starts as failed, liveness as passed, startup as not yet passed; liveness and readiness wait for
/// the startup probe, and the startup probe ends once it passed.
/// </summary>
internal sealed class ProbeWorker : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public ProbeWorker(HandlerUse use, JsonObject probe)
    {
        Use = use;
        Probe = probe;
        Settings = ProbeSettings.Of(probe);
        Result = use switch
        {
            HandlerUse.LivenessProbe => ProbeResult.Success,
            HandlerUse.ReadinessProbe => ProbeResult.Failure,
            _ => ProbeResult.Unknown,
        };
    }

    public HandlerUse Use { get; }

    public JsonObject Probe { get; }

    public ProbeSettings Settings { get; }

    /// <summary>The verdict so far.</summary>
    public ProbeResult Result { get; private set; }

    /// <summary>Why it last failed, for events and statuses.</summary>
    public string LastFailure { get; private set; } = "";

    /// <summary>Probes until stopped; <paramref name="changed"/> hears of each flip of the result, <paramref name="failed"/> of each failed try.</summary>
    public async Task RunAsync(IHandlerRunner runner, ContainerStatus container, PodSandbox sandbox, Func<bool> started, Action changed, Action<string> failed, TimeProvider time)
    {
        var cancellationToken = _stop.Token;
        try
        {
            var sinceStart = time.GetUtcNow() - (container.StartedAt ?? time.GetUtcNow());
            if (Settings.InitialDelay > sinceStart)
                await Task.Delay(Settings.InitialDelay - sinceStart, time, cancellationToken);
            var (successes, failures) = (0, 0);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (Use == HandlerUse.StartupProbe || started())
                {
                    var outcome = await RunOnceAsync(runner, container, sandbox, cancellationToken);
                    (successes, failures) = outcome.Succeeded ? (successes + 1, 0) : (0, failures + 1);
                    if (!outcome.Succeeded)
                    {
                        LastFailure = outcome.Message;
                        failed(outcome.Message);
                    }
                    ProbeResult? verdict = outcome.Succeeded
                        ? successes >= Settings.SuccessThreshold ? ProbeResult.Success : null
                        : failures >= Settings.FailureThreshold ? ProbeResult.Failure : null;
                    if (verdict is { } flipped && flipped != Result)
                    {
                        Result = flipped;
                        changed();
                        // A startup probe that passed or failed, a liveness probe that failed: nothing more to learn.
                        if (Use == HandlerUse.StartupProbe || (Use == HandlerUse.LivenessProbe && flipped == ProbeResult.Failure))
                            return;
                    }
                }
                await Task.Delay(Settings.Period, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops probing.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task<HandlerResult> RunOnceAsync(IHandlerRunner runner, ContainerStatus container, PodSandbox sandbox, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.Timeout);
        try
        {
            return await runner.RunAsync(container, sandbox, Probe, Use, Settings.Timeout, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HandlerResult(false, $"timeout after {Settings.Timeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A handler that throws has failed; the container's state decides the rest.
            return new HandlerResult(false, e.Message);
        }
    }
}
