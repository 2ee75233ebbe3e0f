using System.Text.Json.Nodes;

namespace Berth.Agent.Pods.Probes;

/// <summary>A probe's timing and thresholds, with upstream's defaults for what the spec leaves out.</summary>
internal sealed record ProbeSettings(TimeSpan InitialDelay, TimeSpan Period, TimeSpan Timeout, int SuccessThreshold, int FailureThreshold)
{
    public static ProbeSettings Of(JsonObject probe) => new(
        TimeSpan.FromSeconds(Number(probe, "initialDelaySeconds", 0)),
        TimeSpan.FromSeconds(Number(probe, "periodSeconds", 10)),
        TimeSpan.FromSeconds(Number(probe, "timeoutSeconds", 1)),
        Number(probe, "successThreshold", 1),
        Number(probe, "failureThreshold", 3));

    private static int Number(JsonObject probe, string field, int fallback) =>
        probe[field] is JsonValue value && value.TryGetValue<int>(out var number) && number > 0 ? number : fallback;
}
