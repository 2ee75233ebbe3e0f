using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;

namespace Berth.ApiServer.CustomResources;

/// <summary>The resources a CustomResourceDefinition defines: one per served version, with its names and subresources.</summary>
internal static class DefinitionResources
{
    /// <summary>The finalizer that holds a definition until its objects are deleted.</summary>
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];

    public static IEnumerable<ResourceInfo> Of(JsonObject definition)
    {
        var spec = definition["spec"] as JsonObject ?? [];
        var names = spec["names"] as JsonObject ?? [];
        var group = Text(spec, "group");
        var kind = Text(names, "kind");
        var plural = Text(names, "plural");
        var name = ObjectJson.Name(definition) ?? "";
        var terminating = ObjectJson.Metadata(definition)["deletionTimestamp"] is not null;
        foreach (var version in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var versionName = Text(version, "name");
            if (version["served"]?.GetValue<bool>() != true || versionName.Length == 0)
                continue;
            var subresources = new List<SubresourceInfo>();
            if (version["subresources"]?["status"] is JsonObject)
                subresources.Add(new SubresourceInfo("status", group, versionName, kind, SubresourceVerbs));
            if (version["subresources"]?["scale"] is JsonObject)
                subresources.Add(new SubresourceInfo("scale", "autoscaling", "v1", "Scale", SubresourceVerbs));
            yield return new ResourceInfo(group, versionName, kind, plural, Text(names, "singular") is { Length: > 0 } singular ? singular : kind.ToLowerInvariant(),
                Text(spec, "scope") != "Cluster", Strings(names["shortNames"]), Strings(names["categories"]), subresources)
            {
                TracksGeneration = true,
                Custom = new CustomResourceVersion(name, version, terminating),
            };
        }
    }

    private static string Text(JsonObject obj, string field) => ObjectJson.GetString(obj, field) ?? "";

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : "").Where(v => v.Length > 0)] : [];
}
