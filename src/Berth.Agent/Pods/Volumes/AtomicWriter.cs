namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// Writes a volume's files so that a container never sees half an update, as upstream's atomic writer does: the
/// files go into a new hidden folder <c>..&lt;timestamp&gt;</c>, the symlink <c>..data</c> is switched to it in one
/// rename, and each visible name is a symlink through <c>..data</c>. Earlier folders are removed afterwards.
/// </summary>
internal static class AtomicWriter
{
    private const string DataLink = "..data";

    /// <summary>
    /// Writes <paramref name="files"/> (relative path, content, mode) into <paramref name="dir"/>; nothing happens when
    /// they are unchanged. <paramref name="prepare"/> sees the new folder before it becomes visible.
    /// </summary>
    public static async Task WriteAsync(string dir, IReadOnlyList<VolumeFile> files, Func<string, Task>? prepare = null)
    {
        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, DataLink);
        var current = Directory.Exists(link) ? new DirectoryInfo(link).ResolveLinkTarget(returnFinalTarget: false)?.FullName : null;
        if (current is not null && Unchanged(current, files))
            return;

        var fresh = Path.Combine(dir, $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}");
        Directory.CreateDirectory(fresh);
        foreach (var file in files)
        {
            var path = Path.Combine(fresh, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, file.Content);
            File.SetUnixFileMode(path, (UnixFileMode)file.Mode);
        }
        if (prepare is not null)
            await prepare(fresh);
        var next = Path.Combine(dir, "..data_tmp");
        if (File.Exists(next) || Directory.Exists(next))
            File.Delete(next);
        File.CreateSymbolicLink(next, Path.GetFileName(fresh));
        await ReplaceAsync(next, link);

        var visible = files.Select(f => f.Path.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in visible)
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path) && !Directory.Exists(path))
                File.CreateSymbolicLink(path, Path.Combine(DataLink, name));
        }
        foreach (var entry in Directory.GetFileSystemEntries(dir))
        {
            var name = Path.GetFileName(entry);
            if (!name.StartsWith("..", StringComparison.Ordinal) && !visible.Contains(name))
                File.Delete(entry);
        }
        // Every earlier version goes, including any a failed write left behind.
        foreach (var old in Directory.GetDirectories(dir, "..*"))
        {
            if (old != fresh && !File.GetAttributes(old).HasFlag(FileAttributes.ReparsePoint))
                Directory.Delete(old, recursive: true);
        }
    }

    /// <summary>
    /// Renames the new link over the old one in one rename(2). .NET's File.Move follows a link to a folder and
    /// refuses it, so mv does it (-T: as a file, never into the folder).
    /// </summary>
    private static async Task ReplaceAsync(string source, string destination)
    {
        var moved = await Nodes.HostCommand.RunAsync("mv", "-T", "--", source, destination);
        if (!moved.Succeeded)
            throw new IOException($"could not switch {destination} to the new content: {moved.Error.Trim()}");
    }

    private static bool Unchanged(string current, IReadOnlyList<VolumeFile> files)
    {
        var existing = Directory.GetFiles(current, "*", SearchOption.AllDirectories);
        if (existing.Length != files.Count)
            return false;
        foreach (var file in files)
        {
            var path = Path.Combine(current, file.Path);
            if (!File.Exists(path) || (int)File.GetUnixFileMode(path) != file.Mode || !File.ReadAllBytes(path).AsSpan().SequenceEqual(file.Content))
                return false;
        }
        return true;
    }
}

/// <summary>A file of a volume: its path inside the volume, its content and its permission bits.</summary>
internal sealed record VolumeFile(string Path, byte[] Content, int Mode);
