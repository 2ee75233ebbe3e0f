using System.Globalization;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Deployments;

/// <summary>What the Deployment controller reads of its Deployments and ReplicaSets: replica counts and revisions.</summary>
internal static class Replicas
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string DesiredAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxAnnotation = "deployment.kubernetes.io/max-replicas";

    /// <summary>spec.replicas (1 when not given).</summary>
    public static int Desired(JsonObject obj) => obj["spec"]?["replicas"]?.GetValue<int>() ?? 1;

    public static int Status(JsonObject rs, string field) => rs["status"]?[field]?.GetValue<int>() ?? 0;

    public static int Sum(IEnumerable<JsonObject> sets) => sets.Sum(Desired);

    public static long Revision(JsonObject obj) =>
        long.TryParse(obj["metadata"]?["annotations"]?[RevisionAnnotation]?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    public static string Name(JsonObject obj) => obj["metadata"]!["name"]!.ToString();
}
