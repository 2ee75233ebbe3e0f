using Berth.Agent.Cri.Protocol;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Cri;

/// <summary>
/// Removes images nobody uses when the images' filesystem fills, as upstream's image garbage collector does: every
/// period, once the filesystem's use reaches <see cref="ImageGcPolicy.HighThresholdPercent"/>, the unused images
/// (no container of any state refers to them, not the sandbox image, not pinned, known for at least
/// <see cref="ImageGcPolicy.MinimumAge"/>) are removed, least recently used first, until enough is freed to bring the
/// use down to <see cref="ImageGcPolicy.LowThresholdPercent"/>. When and how recently an image was in use is what
/// this agent saw since it started. Dead containers need no collector of their own: a pod's worker removes its
/// instances older than the previous one, and a pod's sandbox and containers go with the pod.
/// </summary>
internal sealed partial class ImageGarbageCollection(CriRuntime runtime, ImageGcPolicy policy, string sandboxImage, TimeProvider time, ILogger logger)
    : IDisposable
{
    private readonly Dictionary<string, (DateTimeOffset FirstSeen, DateTimeOffset LastUsed)> _seen = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (policy.Disabled)
            return;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await CollectAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e)
            {
                Log.RuntimeUnavailable(logger, e.Status.Detail);
            }
            catch (IOException e)
            {
                Log.FilesystemUnreadable(logger, e.Message);
            }
            await Task.Delay(policy.Period, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Removes every image that may go, whatever the disk's use: what the eviction manager asks before it evicts for the disk.</summary>
    public async Task FreeUnusedAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            await FreeAsync(await SeeAsync(now, cancellationToken), long.MaxValue, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var images = await SeeAsync(now, cancellationToken);
            var filesystems = await runtime.Images.ImageFsInfoAsync(new ImageFsInfoRequest(), cancellationToken: cancellationToken);
            if (filesystems.ImageFilesystems.FirstOrDefault()?.FsId?.Mountpoint is not { Length: > 0 } mountpoint)
                return;
            var drive = new DriveInfo(mountpoint);
            var (capacity, available) = (drive.TotalSize, drive.AvailableFreeSpace);
            if (capacity <= 0 || 100 - available * 100 / capacity < policy.HighThresholdPercent)
                return;
            var wanted = capacity * (100 - policy.LowThresholdPercent) / 100 - available;
            var freed = await FreeAsync(images, wanted, now, cancellationToken);
            if (freed < wanted)
                Log.NotEnough(logger, wanted, freed);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes images that may go, least recently used first, until <paramref name="wanted"/> bytes are freed; returns how many were.</summary>
    private async Task<long> FreeAsync(List<(string Id, string Name, long Size, bool InUse)> images, long wanted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var freed = 0L;
        foreach (var image in images.Where(i => !i.InUse && now - _seen[i.Id].FirstSeen >= policy.MinimumAge)
            .OrderBy(i => _seen[i.Id].LastUsed).ThenBy(i => _seen[i.Id].FirstSeen))
        {
            if (freed >= wanted)
                break;
            try
            {
                await runtime.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image.Id } }, cancellationToken: cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Unavailable)
            {
                Log.NotRemoved(logger, image.Name, e.Status.Detail);
                continue;
            }
            _seen.Remove(image.Id);
            freed += image.Size;
            Log.Removed(logger, image.Name, image.Size);
        }
        return freed;
    }

    /// <summary>The runtime's images, which of them are in use, and since when each is known and when it was last used.</summary>
    private async Task<List<(string Id, string Name, long Size, bool InUse)>> SeeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var listed = await runtime.Images.ListImagesAsync(new ListImagesRequest(), cancellationToken: cancellationToken);
        var containers = await runtime.Runtime.ListContainersAsync(new ListContainersRequest(), cancellationToken: cancellationToken);
        var used = containers.Containers.SelectMany(c => new[] { c.ImageRef, c.Image?.Image ?? "" }).Where(r => r.Length > 0).ToHashSet(StringComparer.Ordinal);
        var images = new List<(string, string, long, bool)>(listed.Images.Count);
        foreach (var image in listed.Images)
        {
            var inUse = image.Pinned || used.Contains(image.Id) || image.RepoTags.Any(t => t == sandboxImage || used.Contains(t));
            var seen = _seen.TryGetValue(image.Id, out var known) ? known : (now, DateTimeOffset.MinValue);
            _seen[image.Id] = inUse ? (seen.Item1, now) : seen;
            images.Add((image.Id, image.RepoTags.FirstOrDefault() ?? image.Id, (long)image.Size, inUse));
        }
        foreach (var gone in _seen.Keys.Except(images.Select(i => i.Item1)).ToList())
            _seen.Remove(gone);
        return images;
    }

    private static partial class Log
    {
        [LoggerMessage(4350, LogLevel.Information, "Removed unused image {Image} ({Bytes} bytes) to free disk space")]
        public static partial void Removed(ILogger logger, string image, long bytes);

        [LoggerMessage(4351, LogLevel.Warning, "Could not remove unused image {Image}: {Error}")]
        public static partial void NotRemoved(ILogger logger, string image, string error);

        [LoggerMessage(4352, LogLevel.Warning, "Failed to garbage collect required amount of images. Attempted to free {Wanted} bytes, but only found {Freed} bytes eligible to free.")]
        public static partial void NotEnough(ILogger logger, long wanted, long freed);

        [LoggerMessage(4353, LogLevel.Warning, "Image garbage collection skipped: the runtime did not answer: {Error}")]
        public static partial void RuntimeUnavailable(ILogger logger, string error);

        [LoggerMessage(4354, LogLevel.Warning, "Image garbage collection skipped: the images' filesystem could not be read: {Error}")]
        public static partial void FilesystemUnreadable(ILogger logger, string error);
    }
}

/// <summary>
/// When images are collected (upstream's kubelet settings): from <see cref="HighThresholdPercent"/> of the disk
/// used down to <see cref="LowThresholdPercent"/>, images unused and known for <see cref="MinimumAge"/>, checked
/// every <see cref="Period"/>. A high threshold of 100 turns collection off.
/// </summary>
public sealed record ImageGcPolicy(int HighThresholdPercent, int LowThresholdPercent, TimeSpan MinimumAge, TimeSpan Period)
{
    public static ImageGcPolicy Default { get; } = new(85, 80, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5));

    public bool Disabled => HighThresholdPercent >= 100;
}
