namespace Berth.Agent.Pods.Volumes;

/// <summary>A <c>hostPath</c> volume's checks by its <c>type</c>, with upstream's messages; the <c>…OrCreate</c> types make what is missing.</summary>
internal static class HostPathVolume
{
    public static async Task<string> SetUpAsync(string path, string type)
    {
        if (!Path.IsPathRooted(path))
            throw new VolumeException($"hostPath \"{path}\" is not an absolute path");
        switch (type)
        {
            case "":
                break;
            case "DirectoryOrCreate":
                if (!Directory.Exists(path))
                {
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
                }
                break;
            case "Directory":
                if (!Directory.Exists(path))
                    throw new VolumeException($"hostPath type check failed: {path} is not a directory");
                break;
            case "FileOrCreate":
                if (!File.Exists(path))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, []);
                    File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
                }
                break;
            case "File":
                if (await KindAsync(path) != "file")
                    throw new VolumeException($"hostPath type check failed: {path} is not a file");
                break;
            case "Socket" or "CharDevice" or "BlockDevice":
                if (await KindAsync(path) != type)
                    throw new VolumeException($"hostPath type check failed: {path} is not a {Lowered(type)}");
                break;
            default:
                throw new VolumeException($"hostPath type {type} is not known");
        }
        return path;
    }

    /// <summary>What is at the path, as stat(1) names file types: <c>file</c>, <c>directory</c>, <c>Socket</c>, <c>CharDevice</c>, <c>BlockDevice</c>.</summary>
    private static async Task<string> KindAsync(string path)
    {
        var stat = await Nodes.HostCommand.RunAsync("stat", "-L", "-c", "%F", path);
        return stat.Output.Trim() switch
        {
            "socket" => "Socket",
            "character special file" => "CharDevice",
            "block special file" => "BlockDevice",
            "directory" => "directory",
            "" => "missing",
            _ => "file",
        };
    }

    private static string Lowered(string type) => type switch
    {
        "CharDevice" => "character device",
        "BlockDevice" => "block device",
        _ => "socket",
    };
}
