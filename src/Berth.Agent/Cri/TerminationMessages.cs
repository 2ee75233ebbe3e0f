using System.Text;
using Berth.Agent.Streaming;

namespace Berth.Agent.Cri;

/// <summary>
/// What an exited container leaves as its termination message, read as upstream's kubelet reads it: the file
/// mounted at its <c>terminationMessagePath</c> (up to 4 KiB); with <c>FallbackToLogsOnError</c>, when that is
/// empty and the container failed, the end of its log (the last 80 lines, up to 2 KiB).
/// </summary>
internal static class TerminationMessages
{
    private const int MaxFileBytes = 4 * 1024;
    private const int MaxLogLines = 80;
    private const int MaxLogBytes = 2 * 1024;

    public static string Read(Protocol.ContainerStatus status)
    {
        var message = "";
        if (status.Annotations.TryGetValue(ContainerConfigs.TerminationMessagePathAnnotation, out var path)
            && status.Mounts.FirstOrDefault(m => m.ContainerPath == path) is { } mount)
        {
            message = Start(mount.HostPath);
        }
        var fallback = status.Annotations.TryGetValue(ContainerConfigs.TerminationMessagePolicyAnnotation, out var policy) && policy == "FallbackToLogsOnError";
        if (message.Length == 0 && fallback && status.ExitCode != 0 && status.LogPath.Length > 0)
            message = LogEnd(status.LogPath);
        return message;
    }

    private static string Start(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            var bytes = new byte[MaxFileBytes];
            return Encoding.UTF8.GetString(bytes, 0, stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string LogEnd(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // 80 lines of 2 KiB with their CRI prefixes fit well within the last 64 KiB.
            stream.Position = Math.Max(0, stream.Length - 64 * 1024);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var lines = reader.ReadToEnd().Split('\n').Select(l => CriLogLine.TryParse(l, out var line) ? line : (CriLogLine?)null).OfType<CriLogLine>();
            var text = string.Concat(lines.TakeLast(MaxLogLines).Select(l => l.Render(timestamps: false, startsLine: true)));
            var bytes = Encoding.UTF8.GetBytes(text);
            return bytes.Length <= MaxLogBytes ? text : Encoding.UTF8.GetString(bytes, bytes.Length - MaxLogBytes, MaxLogBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
