using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// The file a container may write why it ended to (its <c>terminationMessagePath</c>, <c>/dev/termination-log</c>
/// by default): an empty file of the agent's per container instance, under the pod's folder so that it goes with
/// the pod, mounted read-write at that path and read back once the container has exited.
/// </summary>
internal static class TerminationLog
{
    public const string DefaultPath = "/dev/termination-log";

    /// <summary>Where in the container the message is written.</summary>
    public static string PathIn(JsonObject container) =>
        container["terminationMessagePath"]?.ToString() is { Length: > 0 } path ? path : DefaultPath;

    /// <summary>
    /// The mount of a new file for this instance of the container, or null when one of its volume mounts is already
    /// at that path (the volume's file serves then).
    /// </summary>
    public static ContainerMount? Prepare(string podsDir, string uid, JsonObject container, uint attempt, IEnumerable<ContainerMount> mounts)
    {
        var path = PathIn(container);
        if (mounts.Any(m => m.ContainerPath.TrimEnd('/') == path))
            return null;
        var dir = Directory.CreateDirectory(Path.Combine(podsDir, uid, "containers", container["name"]?.ToString() ?? "")).FullName;
        var file = Path.Combine(dir, $"{attempt}-termination-log");
        File.WriteAllBytes(file, []);
        // Writable whoever the container runs as, as upstream makes it.
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        return new ContainerMount(path, file, ReadOnly: false);
    }
}
