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
        var nodes = Math.Max(1, snapshot.Nodes.Count);
        state.Write(StateKey, Images(pod.Spec).Select(i => new ImageSpread(i, (double)snapshot.Index.NodesWithImage(i) / nodes)).ToArray());
        return Status.Success;
    }

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        var images = state.Read<ImageSpread[]>(StateKey)!;
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = Score(images, nodes[i]);
    }

    private static long Score(ImageSpread[] images, NodeInfo node)
    {
        long sum = 0;
        foreach (var image in images)
        {
            if (node.Images.TryGetValue(image.Name, out var size))
                sum += (long)(size * image.Spread);
        }
        var maxThreshold = MaxContainerThreshold * Math.Max(1, images.Length);
        sum = Math.Clamp(sum, MinThreshold, maxThreshold);
        return IScorePlugin.MaxScore * (sum - MinThreshold) / (maxThreshold - MinThreshold);
    }

    /// <summary>The images of the init and app containers, with <c>:latest</c> where no tag is given.</summary>
    private static List<string> Images(JsonObject spec) =>
        [.. ContainerFields
            .SelectMany(field => (spec[field] as JsonArray ?? []).OfType<JsonObject>())
            .Select(c => c["image"]?.ToString() ?? "")
            .Select(image => image.LastIndexOf(':') <= image.LastIndexOf('/') ? image + ":latest" : image)];

    /// <summary>A container's image and the share of nodes that have it, worked out once per cycle.</summary>
    private sealed record ImageSpread(string Name, double Spread);
}
