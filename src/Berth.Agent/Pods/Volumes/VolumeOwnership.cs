using System.Globalization;
using Berth.Agent.Nodes;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// Gives a pod's <c>fsGroup</c> the volumes the agent makes (emptyDir, configMap, secret, downwardAPI, projected), as
/// upstream does: every file and folder joins the group, files gain group read (and write, in a writable volume),
/// folders gain group access and setgid so that what is made in them later joins the group too. Symbolic links keep
/// their targets' modes. With <c>fsGroupChangePolicy: OnRootMismatch</c> nothing is walked when the volume's root is
/// already right. hostPath volumes are the host's and are left alone.
/// </summary>
internal static class VolumeOwnership
{
    private const UnixFileMode Writable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.GroupRead;
    private const UnixFileMode Folder = UnixFileMode.SetGroup | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;

    /// <summary>
    /// The files of a read-only volume with the modes they end up with (group read under an fsGroup), so that the
    /// atomic writer, which rewrites files whose modes differ, sees them unchanged the next time.
    /// </summary>
    public static List<VolumeFile> WithFinalModes(List<VolumeFile> files, System.Text.Json.Nodes.JsonObject pod) =>
        pod["spec"]?["securityContext"]?["fsGroup"] is null ? files : [.. files.Select(f => f with { Mode = f.Mode | (int)Readable })];

    /// <summary>Applies the pod's fsGroup to the volume at <paramref name="dir"/>, if the pod has one.</summary>
    public static async Task ApplyAsync(string dir, System.Text.Json.Nodes.JsonObject pod, bool readOnly)
    {
        var security = pod["spec"]?["securityContext"];
        if (security?["fsGroup"]?.GetValue<long>() is not { } group)
            return;
        var mask = readOnly ? Readable : Writable;
        if (security["fsGroupChangePolicy"]?.ToString() == "OnRootMismatch" && await RootMatchesAsync(dir, group, mask))
            return;
        var result = await HostCommand.RunAsync("chown", "-R", "-h", ":" + group.ToString(CultureInfo.InvariantCulture), dir);
        if (!result.Succeeded)
            throw new VolumeException($"applying fsGroup {group} to the volume failed: {result.Error.Trim()}");
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Prepend(new DirectoryInfo(dir)))
        {
            if (entry.LinkTarget is not null)
                continue;
            entry.UnixFileMode |= entry is DirectoryInfo ? mask | Folder : mask;
        }
    }

    private static async Task<bool> RootMatchesAsync(string dir, long group, UnixFileMode mask)
    {
        // .NET tells a file's mode but not its group.
        var stat = await HostCommand.RunAsync("stat", "-c", "%g", dir);
        return stat.Succeeded && stat.Output.Trim() == group.ToString(CultureInfo.InvariantCulture)
            && (new DirectoryInfo(dir).UnixFileMode & (mask | Folder)) == (mask | Folder);
    }
}
