using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.ImageLocality;

/// <summary>
/// Prefers nodes that already have the pod's images, by their size scaled by how many nodes have them (an image on
/// every node says nothing about this one), between 23 MiB and 1000 MiB per container, as upstream scores it.
/// </summary>
public sealed class ImageLocality : IPreScorePlugin, IScorePlugin
{
    private const long MiB = 1024 * 1024;
    private const long MinThreshold = 23 * MiB;
    private const long MaxContainerThreshold = 1000 * MiB;
    private const string StateKey = nameof(ImageLocality);
    private static readonly string[] ContainerFields = ["initContainers", "containers"];

    public string Name => nameof(ImageLocality);

    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        var images = Images(pod.Spec);
        var spread = images.Distinct(StringComparer.Ordinal)
            .ToDictionary(i => i, i => (double)snapshot.Index.NodesWithImage(i) / Math.Max(1, snapshot.Nodes.Count), StringComparer.Ordinal);
        state.Write(StateKey, new Prepared(images, spread));
        return Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var prepared = state.Read<Prepared>(StateKey)!;
        long sum = 0;
        foreach (var image in prepared.Images)
        {
            if (node.Images.TryGetValue(image, out var size))
                sum += (long)(size * prepared.Spread[image]);
        }
        var maxThreshold = MaxContainerThreshold * Math.Max(1, prepared.Images.Count);
        sum = Math.Clamp(sum, MinThreshold, maxThreshold);
        return IScorePlugin.MaxScore * (sum - MinThreshold) / (maxThreshold - MinThreshold);
    }

    /// <summary>The images of the init and app containers, with <c>:latest</c> where no tag is given.</summary>
    private static List<string> Images(JsonObject spec) =>
        [.. ContainerFields
            .SelectMany(field => (spec[field] as JsonArray ?? []).OfType<JsonObject>())
            .Select(c => c["image"]?.ToString() ?? "")
            .Select(image => image.LastIndexOf(':') <= image.LastIndexOf('/') ? image + ":latest" : image)];

    private sealed record Prepared(List<string> Images, Dictionary<string, double> Spread);
}
