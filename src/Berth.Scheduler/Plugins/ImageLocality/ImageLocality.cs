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

    /// <summary>Works out each image's spread; skips scoring when no node has any of them, for then every node scores 0.</summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        var nodes = Math.Max(1, snapshot.Nodes.Count);
        var images = Images(pod.Spec);
        var present = images.Select(i => new ImageSpread(i, (double)snapshot.Index.NodesWithImage(i) / nodes)).Where(i => i.Spread > 0).ToArray();
        if (present.Length == 0)
            return Status.Skip;
        state.Write(StateKey, new PodImages(present, images.Count));
        return Status.Success;
    }

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        var images = state.Read<PodImages>(StateKey)!;
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = Score(images, nodes[i]);
    }

    private static long Score(PodImages images, NodeInfo node)
    {
        long sum = 0;
        foreach (var image in images.Present)
        {
            if (node.Images.TryGetValue(image.Name, out var size))
                sum += (long)(size * image.Spread);
        }
        var maxThreshold = MaxContainerThreshold * Math.Max(1, images.Containers);
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

    /// <summary>The pod's images that some node has, and how many containers the pod has (the score's scale).</summary>
    private sealed record PodImages(ImageSpread[] Present, int Containers);
}
