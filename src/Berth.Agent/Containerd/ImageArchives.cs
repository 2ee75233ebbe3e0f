using System.Diagnostics;

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
        var (code, output) = await CtrAsync(socket, ["images", "import", "--snapshotter", "overlayfs", archive], cancellationToken);
        if (code != 0)
            throw new InvalidOperationException($"importing {archive} failed: {output.Trim()}");
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

    private static async Task<(int Code, string Output)> CtrAsync(string socket, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ctr") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--address", socket, "--namespace", CriNamespace }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("ctr could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
