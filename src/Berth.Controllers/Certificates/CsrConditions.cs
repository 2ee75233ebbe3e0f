using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.Controllers.Certificates;

/// <summary>Conditions on a CertificateSigningRequest (Approved, Denied, Failed), as upstream writes them.</summary>
internal static class CsrConditions
{
    /// <summary>A copy of <paramref name="csr"/> with a True condition of <paramref name="type"/> added.</summary>
    public static JsonObject With(JsonObject csr, string type, string reason, string message, DateTimeOffset now)
    {
        var updated = csr.DeepClone().AsObject();
        var status = updated["status"] as JsonObject ?? (JsonObject)(updated["status"] = new JsonObject());
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = type,
            ["status"] = "True",
            ["reason"] = reason,
            ["message"] = message,
            ["lastUpdateTime"] = WireTime.Time(now),
            ["lastTransitionTime"] = WireTime.Time(now),
        });
        return updated;
    }
}
