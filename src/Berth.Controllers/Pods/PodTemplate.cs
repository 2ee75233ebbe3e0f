using System.Text.Json.Nodes;

namespace Berth.Controllers.Pods;

/// <summary>A controller's pods as upstream makes them from its <c>spec.template</c>, with the controller as their owner.</summary>
internal static class PodTemplate
{
    /// <summary>
    /// A pod to create for <paramref name="owner"/> (an object with its apiVersion and kind): the template's labels,
    /// annotations, finalizers and spec, a name generated from the owner's (<c>web-7d4b9-</c> and five characters).
    /// </summary>
    public static JsonObject PodFor(JsonObject owner)
    {
        var template = owner["spec"]?["template"] as JsonObject ?? [];
        var templateMetadata = template["metadata"] as JsonObject ?? [];
        var metadata = new JsonObject
        {
            ["generateName"] = $"{owner["metadata"]!["name"]}-",
            ["namespace"] = owner["metadata"]!["namespace"]?.DeepClone(),
        };
        foreach (var field in (string[])["labels", "annotations", "finalizers"])
        {
            if (templateMetadata[field] is { } value)
                metadata[field] = value.DeepClone();
        }
        metadata["ownerReferences"] = new JsonArray(ControllerReference(owner));
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>The owner reference that makes <paramref name="owner"/> the controller of an object, blocking the owner's foreground deletion.</summary>
    public static JsonObject ControllerReference(JsonObject owner) => new()
    {
        ["apiVersion"] = owner["apiVersion"]?.DeepClone(),
        ["kind"] = owner["kind"]?.DeepClone(),
        ["name"] = owner["metadata"]!["name"]?.DeepClone(),
        ["uid"] = owner["metadata"]!["uid"]?.DeepClone(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}
