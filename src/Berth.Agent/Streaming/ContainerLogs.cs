using System.Text;
using Berth.Agent.Runtime;

namespace Berth.Agent.Streaming;

/// <summary>
/// Serves a container's log as <c>kubectl logs</c> shows it, from the CRI-format file the runtime writes under
/// <c>&lt;logs&gt;/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;attempt&gt;.log</c>: the newest instance or the one before it,
/// the last lines, lines since a time, with timestamps, up to a byte limit, and followed while the container runs.
/// </summary>
public sealed class ContainerLogs(IContainerRuntime runtime, string logsDir, TimeProvider time)
{
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>The log file of a container (its newest instance, or the previous one), or why there is none: an HTTP code and upstream's message.</summary>
    public async Task<(LogTarget? Target, int Code, string Error)> FindAsync(string ns, string pod, string container, bool previous, CancellationToken cancellationToken)
    {
        var sandboxes = (await runtime.ListPodSandboxesAsync(cancellationToken)).Where(s => s.Pod.Namespace == ns && s.Pod.Name == pod)
            .OrderByDescending(s => s.CreatedAt).ToList();
        if (sandboxes.Count == 0)
            return (null, 404, $"pod \"{pod}\" in namespace \"{ns}\" is not running on this node");
        var instances = new List<ContainerStatus>();
        foreach (var sandbox in sandboxes)
            instances.AddRange((await runtime.ListContainersAsync(sandbox.Id, cancellationToken)).Where(c => c.Name == container));
        instances = [.. instances.OrderByDescending(c => c.Attempt).ThenByDescending(c => c.CreatedAt)];
        var chosen = previous ? instances.Skip(1).FirstOrDefault() : instances.FirstOrDefault();
        if (chosen is null)
        {
            return previous
                ? (null, 400, $"previous terminated container \"{container}\" in pod \"{pod}\" not found")
                : (null, 400, $"container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating");
        }
        var uid = sandboxes.First(s => s.Id == chosen.SandboxId).Pod.Uid;
        var path = Path.Combine(logsDir, $"{ns}_{pod}_{uid}", container, $"{chosen.Attempt}.log");
        return (new LogTarget(path, chosen.Id, chosen.SandboxId), 200, "");
    }

    /// <summary>Writes the log to <paramref name="output"/>, flushing as it goes; with follow, until the container stops or the reader leaves.</summary>
    public async Task WriteAsync(LogTarget target, LogOptions options, Stream output, CancellationToken cancellationToken)
    {
        long written = 0;
        var startsLine = true;
        async Task<bool> EmitAsync(IEnumerable<CriLogLine> lines)
        {
            foreach (var line in lines)
            {
                var bytes = Encoding.UTF8.GetBytes(line.Render(options.Timestamps, startsLine));
                startsLine = !line.Partial;
                if (options.LimitBytes is { } limit && written + bytes.Length > limit)
                {
                    await output.WriteAsync(bytes.AsMemory(0, (int)(limit - written)), cancellationToken);
                    return false;
                }
                await output.WriteAsync(bytes, cancellationToken);
                written += bytes.Length;
            }
            await output.FlushAsync(cancellationToken);
            return true;
        }

        long position = 0;
        IEnumerable<CriLogLine> first = ReadFrom(target.Path, ref position).Where(l => options.Since is not { } since || l.Time >= since);
        if (options.TailLines is { } tail)
            first = first.TakeLast((int)Math.Min(tail, int.MaxValue));
        if (!await EmitAsync(first) || !options.Follow)
            return;
        while (!cancellationToken.IsCancellationRequested)
        {
            var more = ReadFrom(target.Path, ref position);
            if (more.Count > 0)
            {
                if (!await EmitAsync(more))
                    return;
                continue;
            }
            var running = (await runtime.ListContainersAsync(target.SandboxId, cancellationToken)).Any(c => c.Id == target.ContainerId && c.State == ContainerState.Running);
            if (!running)
            {
                // One last look: what it wrote as it exited.
                await EmitAsync(ReadFrom(target.Path, ref position));
                return;
            }
            await Task.Delay(FollowPoll, time, cancellationToken);
        }
    }

    /// <summary>The complete lines from <paramref name="position"/> on, moving it past them (a line still being written waits).</summary>
    private static List<CriLogLine> ReadFrom(string path, ref long position)
    {
        var lines = new List<CriLogLine>();
        if (!File.Exists(path))
            return lines;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (file.Length <= position)
            return lines;
        file.Position = position;
        var buffer = new byte[file.Length - position];
        file.ReadExactly(buffer);
        var end = Array.LastIndexOf(buffer, (byte)'\n');
        if (end < 0)
            return lines;
        foreach (var text in Encoding.UTF8.GetString(buffer, 0, end).Split('\n'))
        {
            if (CriLogLine.TryParse(text, out var line))
                lines.Add(line);
        }
        position += end + 1;
        return lines;
    }
}

/// <summary>A container instance's log file, and the container and sandbox it belongs to.</summary>
public sealed record LogTarget(string Path, string ContainerId, string SandboxId);
