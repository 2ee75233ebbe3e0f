using Berth.Agent.Nodes;

namespace Berth.Agent.Containerd;

/// <summary>
/// Imports image archives (docker or OCI tarballs) into a containerd's <c>k8s.io</c> namespace, where CRI sees them,
/// with containerd's own <c>ctr</c>. Images keep the full names the archive gives them.
/// </summary>
public static class ImageArchives
{
    /// <summary>The namespace CRI keeps its images in.</summary>
    private const string CriNamespace = "k8s.io";

    public static async Task ImportAsync(string socket, string archive, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync("ctr", ["--address", socket, "--namespace", CriNamespace, "images", "import", "--snapshotter", "overlayfs", archive],
            cancellationToken);
        if (!result.Succeeded)
            throw new InvalidOperationException($"importing {archive} failed: {(result.Output + result.Error).Trim()}");
    }

    /// <summary>Every archive in <paramref name="folder"/> (<c>*.tar</c>), in name order.</summary>
    public static async Task<int> ImportFolderAsync(string socket, string folder, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
            return 0;
        var archives = Directory.GetFiles(folder, "*.tar").Order(StringComparer.Ordinal).ToList();
        foreach (var archive in archives)
            await ImportAsync(socket, archive, cancellationToken);
        return archives.Count;
    }
}
