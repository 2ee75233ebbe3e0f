using System.Globalization;
using System.Text.Json;

namespace Berth.Controllers.TaintEviction;

/// <summary>A node as the taint eviction controller sees it: its NoExecute taints.</summary>
internal sealed record EvictionNode(string Name, IReadOnlyList<NoExecuteTaint> Taints)
{
    public bool SameTaints(EvictionNode? other) => other is not null && Taints.SequenceEqual(other.Taints);

    public static EvictionNode Read(JsonElement node)
    {
        var taints = new List<NoExecuteTaint>();
        if (node.TryGetProperty("spec", out var spec) && spec.TryGetProperty("taints", out var all) && all.ValueKind == JsonValueKind.Array)
        {
            foreach (var taint in all.EnumerateArray())
            {
                if (Text(taint, "effect") != "NoExecute")
                    continue;
                DateTimeOffset? added = DateTimeOffset.TryParse(Text(taint, "timeAdded"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
                taints.Add(new NoExecuteTaint(Text(taint, "key"), Text(taint, "value"), added));
            }
        }
        return new EvictionNode(node.GetProperty("metadata").GetProperty("name").GetString()!, taints);
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
