using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Deployments;

/// <summary>
/// The <c>pod-template-hash</c> that names a Deployment's ReplicaSet for one template: a 32-bit FNV-1a hash of the
/// template (and of the collision count, which changes it when two templates meet the same name), its decimal digits
/// spelt in upstream's alphabet without vowels, so that names never spell words.
/// </summary>
internal static class PodTemplateHash
{
    public const string Label = "pod-template-hash";
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Of(JsonNode template, int collisionCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template.ToJsonString() + (collisionCount > 0 ? collisionCount.ToString(CultureInfo.InvariantCulture) : "")))
            hash = (hash ^ b) * 16777619u;
        return new string([.. hash.ToString(CultureInfo.InvariantCulture).Select(c => Alphabet[c % Alphabet.Length])]);
    }

    /// <summary>
    /// Whether a ReplicaSet's template is the Deployment's, its own hash label aside, and a field set to null the same as
    /// one left out (kubectl's rollback sends <c>creationTimestamp: null</c>, which upstream's typed comparison ignores).
    /// </summary>
    public static bool SameTemplate(JsonNode? deploymentTemplate, JsonNode? replicaSetTemplate)
    {
        var stripped = WithoutNulls(replicaSetTemplate);
        if (stripped?["metadata"]?["labels"] is JsonObject labels)
        {
            labels.Remove(Label);
            if (labels.Count == 0)
                stripped["metadata"]!.AsObject().Remove("labels");
        }
        var wanted = WithoutNulls(deploymentTemplate);
        if (wanted?["metadata"]?["labels"] is JsonObject { Count: 0 })
            wanted["metadata"]!.AsObject().Remove("labels");
        return JsonNode.DeepEquals(wanted, stripped);
    }

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    if (value is not null)
                        copy[name] = WithoutNulls(value);
                }
                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(WithoutNulls)]);
            default:
                return node?.DeepClone();
        }
    }
}
