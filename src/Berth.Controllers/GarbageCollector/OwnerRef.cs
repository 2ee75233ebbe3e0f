using System.Text.Json;

namespace Berth.Controllers.GarbageCollector;

/// <summary>One entry of metadata.ownerReferences, as the garbage collector reads and writes it.</summary>
internal sealed record OwnerRef(string ApiVersion, string Kind, string Name, string Uid, bool? Controller, bool? BlockOwnerDeletion)
{
    public static OwnerRef Read(JsonElement e) => new(
        e.GetProperty("apiVersion").GetString()!,
        e.GetProperty("kind").GetString()!,
        e.GetProperty("name").GetString()!,
        e.GetProperty("uid").GetString()!,
        e.TryGetProperty("controller", out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False ? c.GetBoolean() : null,
        e.TryGetProperty("blockOwnerDeletion", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : null);

    public bool Blocks => BlockOwnerDeletion == true;

    /// <summary>The group of <see cref="ApiVersion"/> ("" for core).</summary>
    public string Group => ApiVersion.Contains('/', StringComparison.Ordinal) ? ApiVersion[..ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "";

    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        var json = new System.Text.Json.Nodes.JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = Kind, ["name"] = Name, ["uid"] = Uid };
        if (Controller is { } controller)
            json["controller"] = controller;
        if (BlockOwnerDeletion is { } block)
            json["blockOwnerDeletion"] = block;
        return json;
    }
}
