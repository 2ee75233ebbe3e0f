using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Deployments;

/// <summary>
/// How far a rolling update may go above and below the desired replicas: maxSurge (a count or a percentage of the
/// replicas, rounded up) and maxUnavailable (rounded down), 25 % each by default; when both come to 0, one pod may be
/// unavailable, as upstream has it so a rollout can move at all. Recreate has neither.
/// </summary>
internal sealed record RolloutLimits(int MaxSurge, int MaxUnavailable)
{
    public static RolloutLimits Of(JsonObject deployment)
    {
        var spec = deployment["spec"]!;
        if (spec["strategy"]?["type"]?.ToString() == "Recreate")
            return new RolloutLimits(0, 0);
        var replicas = Replicas.Desired(deployment);
        var rolling = spec["strategy"]?["rollingUpdate"];
        var surge = Resolve(rolling?["maxSurge"], replicas, roundUp: true);
        var unavailable = Resolve(rolling?["maxUnavailable"], replicas, roundUp: false);
        return surge == 0 && unavailable == 0 ? new RolloutLimits(0, 1) : new RolloutLimits(surge, unavailable);
    }

    /// <summary>An int-or-string: a count, or a percentage of <paramref name="replicas"/>; 25 % when not given.</summary>
    private static int Resolve(JsonNode? value, int replicas, bool roundUp)
    {
        var text = value?.ToString() ?? "25%";
        if (!text.EndsWith('%'))
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0;
        var percent = int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;
        var exact = replicas * percent / 100.0;
        return (int)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
    }
}
