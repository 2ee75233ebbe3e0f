using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Core.Serialization;

namespace Berth.Controllers.Pods;

/// <summary>
/// The <c>DisruptionTarget</c> condition upstream's controllers set on a pod before they delete it, so that its owner
/// (and a Job's pod failure policy) can tell why it went.
/// </summary>
internal static class DisruptionTarget
{
    /// <summary>Sets the condition (and with <paramref name="phase"/>, the phase) by a strategic merge patch of the pod's status.</summary>
    public static async Task MarkAsync(ApiClient client, string ns, string name, string reason, string message, DateTimeOffset now,
        CancellationToken cancellationToken, string? phase = null)
    {
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "DisruptionTarget",
                ["status"] = "True",
                ["reason"] = reason,
                ["message"] = message,
                ["lastTransitionTime"] = WireTime.Time(now),
            }),
        };
        if (phase is not null)
            status["phase"] = phase;
        var result = await client.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/pods/{name}/status", new JsonObject { ["status"] = status },
            cancellationToken, "application/strategic-merge-patch+json");
        result.ThrowIfFailed($"marking pod {ns}/{name} as a disruption target ({reason})", goneIsFine: true);
    }
}
