using System.CommandLine;
using System.Globalization;
using Berth.Agent.Containerd;
using Berth.Agent.Cri;

namespace Berth.Commands;

/// <summary>
/// <c>berth images import|ls</c>: images of a node without a registry. <c>import</c> puts image archives (docker or OCI
/// tarballs, keeping the names they carry) into the running node's containerd, or, when the node is not running,
/// into its images folder for the next start; <c>ls</c> lists what the node's containerd has.
/// </summary>
internal static class ImagesCommand
{
    public static Command Create()
    {
        var import = new Command("import", "Import image archives (docker or OCI tarballs) into a node's containerd.");
        var files = new Argument<FileInfo[]>("FILE") { Description = "Image archives (.tar).", Arity = ArgumentArity.OneOrMore };
        var importDir = DataDir();
        import.Arguments.Add(files);
        import.Options.Add(importDir);
        import.SetAction(async (parse, cancellationToken) =>
        {
            var layout = Layout(parse.GetValue(importDir)!);
            var archives = parse.GetValue(files)!;
            if (archives.FirstOrDefault(a => !a.Exists) is { } missing)
                return await FailAsync($"{missing.FullName} does not exist", 2);
            if (!await RunningAsync(layout, cancellationToken))
            {
                // Not running: the archives wait in the images folder, imported as the node starts.
                Directory.CreateDirectory(layout.Images);
                foreach (var archive in archives)
                    archive.CopyTo(Path.Combine(layout.Images, archive.Name), overwrite: true);
                Console.WriteLine($"berth images: the node is not running; {archives.Length} archive(s) copied to {layout.Images}, imported when it starts.");
                return 0;
            }
            foreach (var archive in archives)
            {
                try
                {
                    await ImageArchives.ImportAsync(layout.Socket, archive.FullName, cancellationToken);
                }
                catch (InvalidOperationException e)
                {
                    return await FailAsync(e.Message, 1);
                }
                Console.WriteLine($"imported {archive.Name}");
            }
            return 0;
        });

        var list = new Command("ls", "List the images a node's containerd has.");
        var listDir = DataDir();
        list.Options.Add(listDir);
        list.SetAction(async (parse, cancellationToken) =>
        {
            var layout = Layout(parse.GetValue(listDir)!);
            if (!await RunningAsync(layout, cancellationToken))
                return await FailAsync($"the node of {parse.GetValue(listDir)!.FullName} is not running (no containerd answers on {layout.Socket})", 1);
            using var runtime = await CriRuntime.ConnectAsync(layout.Socket, new CriPaths(layout.Logs, ContainerdNodeOptions.DefaultCgroupRoot), RegistryCredentials.None, cancellationToken);
            var rows = (await runtime.ListImagesAsync(cancellationToken))
                .SelectMany(i => (i.Names.Count == 0 ? ["<none>"] : i.Names).Select(name => (Name: name, i.Id, i.Size)))
                .OrderBy(r => r.Name, StringComparer.Ordinal)
                .ToList();
            var width = Math.Max("IMAGE".Length, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
            Console.WriteLine($"{"IMAGE".PadRight(width)}   {"IMAGE ID",-13}   SIZE");
            foreach (var (name, id, size) in rows)
                Console.WriteLine($"{name.PadRight(width)}   {ShortId(id),-13}   {Size(size)}");
            return 0;
        });

        return new Command("images", "Manage the images of a node without a registry.") { import, list };
    }

    private static Option<DirectoryInfo> DataDir() => new("--data-dir")
    {
        Description = "The data directory of the server or agent whose node it is.",
        DefaultValueFactory = _ => new DirectoryInfo(Environment.UserName == "root" ? "/var/lib/berth" : ".berth"),
    };

    private static ContainerdLayout Layout(DirectoryInfo dataDir) => new(Path.Combine(dataDir.FullName, "agent"));

    private static async Task<bool> RunningAsync(ContainerdLayout layout, CancellationToken cancellationToken)
    {
        if (!File.Exists(layout.Socket))
            return false;
        try
        {
            using var runtime = await CriRuntime.ConnectAsync(layout.Socket, new CriPaths(layout.Logs, ContainerdNodeOptions.DefaultCgroupRoot), RegistryCredentials.None, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>An image ID as crictl shows it: 13 hex digits after the algorithm.</summary>
    private static string ShortId(string id) => (id.Contains(':', StringComparison.Ordinal) ? id[(id.IndexOf(':', StringComparison.Ordinal) + 1)..] : id) is var hex && hex.Length > 13 ? hex[..13] : id;

    private static string Size(ulong bytes) => bytes switch
    {
        >= 1UL << 30 => (bytes / (double)(1UL << 30)).ToString("0.#", CultureInfo.InvariantCulture) + "GB",
        >= 1UL << 20 => (bytes / (double)(1UL << 20)).ToString("0.#", CultureInfo.InvariantCulture) + "MB",
        >= 1UL << 10 => (bytes / (double)(1UL << 10)).ToString("0.#", CultureInfo.InvariantCulture) + "kB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + "B",
    };

    private static async Task<int> FailAsync(string message, int exitCode)
    {
        await Console.Error.WriteLineAsync($"berth images: {message}");
        return exitCode;
    }
}
