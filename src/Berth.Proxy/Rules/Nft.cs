using System.Diagnostics;

namespace Berth.Proxy.Rules;

/// <summary>Applies an nftables script with <c>nft -f -</c>: one transaction, all of it or none.</summary>
internal static class Nft
{
    public static async Task ApplyAsync(string script, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nft")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("-");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("nft could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(script.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken);
        await output;
        if (process.ExitCode != 0)
            throw new NftException($"nft -f failed ({process.ExitCode}): {Shorten(await error)}");
    }

    /// <summary>nft quotes the failing line of a long script and points at it; the first few lines say what failed.</summary>
    private static string Shorten(string error)
    {
        var lines = error.Trim().Split('\n');
        return string.Join('\n', lines.Take(6)) + (lines.Length > 6 ? $"\n… ({lines.Length - 6} more lines)" : "");
    }
}
