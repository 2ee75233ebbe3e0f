using System.Text.Json;

namespace Berth.Controllers.Namespaces;

/// <summary>What the namespace controller keeps of a namespace: whether it is being deleted.</summary>
internal sealed record NamespaceState(string Name, bool Deleting)
{
    public static NamespaceState Read(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        return new NamespaceState(metadata.GetProperty("name").GetString()!, metadata.TryGetProperty("deletionTimestamp", out var t) && t.ValueKind == JsonValueKind.String);
    }
}
