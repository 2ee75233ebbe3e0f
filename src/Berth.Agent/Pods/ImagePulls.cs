using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>
/// Makes sure a container's image is on the node before it is created, as its <c>imagePullPolicy</c> says (upstream's
/// image manager): <c>Always</c> pulls, <c>IfNotPresent</c> pulls what is missing, <c>Never</c> only looks. A failed pull
/// leaves the container waiting with <c>ErrImagePull</c>, then <c>ImagePullBackOff</c> until the next try: 10 s later,
/// doubling up to 5 minutes.
/// </summary>
internal sealed class ImagePulls(IContainerRuntime runtime, PodEvents events, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset Until, string Error)> _backOff = new(StringComparer.Ordinal);

    /// <summary>The image's ID, or why the container must wait (reason, message) and until when.</summary>
    public async Task<ImagePull> EnsureAsync(JsonObject pod, PodSandboxConfig identity, ContainerSpec container, RegistryAuth? auth, CancellationToken cancellationToken)
    {
        var key = $"{identity.Uid}_{container.Image}";
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_backOff.TryGetValue(key, out var waiting) && now < waiting.Until)
            {
                events.PullBackOff(identity, container);
                return ImagePull.Waiting("ImagePullBackOff", $"Back-off pulling image \"{container.Image}\": ErrImagePull: {waiting.Error}", waiting.Until);
            }
        }
        var policy = container.Source["imagePullPolicy"]?.ToString() ?? "IfNotPresent";
        if (policy != "Always" && await runtime.ImageStatusAsync(container.Image, cancellationToken) is { } present)
        {
            events.AlreadyPresent(identity, container);
            return ImagePull.Present(present);
        }
        if (policy == "Never")
        {
            var message = $"Container image \"{container.Image}\" is not present with pull policy of Never";
            events.PullFailed(identity, container, "ErrImageNeverPull", message);
            return ImagePull.Waiting("ErrImageNeverPull", message, null);
        }
        events.Pulling(identity, container);
        var clock = Stopwatch.StartNew();
        try
        {
            var pulled = await runtime.PullImageAsync(container.Image, auth, pod, cancellationToken);
            events.Pulled(identity, container, clock.Elapsed);
            lock (_gate)
                _backOff.Remove(key);
            return ImagePull.Present(pulled);
        }
        catch (ImageUnavailableException e)
        {
            var error = $"failed to pull and unpack image \"{container.Image}\": {e.Message}";
            events.PullFailed(identity, container, e.Reason, $"Failed to pull image \"{container.Image}\": {error}");
            DateTimeOffset until;
            lock (_gate)
            {
                var delay = _backOff.TryGetValue(key, out var before) ? Min(before.Delay * 2, ContainerBackOff.Max) : ContainerBackOff.Initial;
                until = time.GetUtcNow() + delay;
                _backOff[key] = (delay, until, error);
            }
            return ImagePull.Waiting(e.Reason, error, until);
        }
    }

    /// <summary>Forgets the back-offs of a pod that is gone.</summary>
    public void Forget(string podUid)
    {
        lock (_gate)
        {
            foreach (var key in _backOff.Keys.Where(k => k.StartsWith(podUid + "_", StringComparison.Ordinal)).ToList())
                _backOff.Remove(key);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>An image made sure of: its ID, or the waiting reason and message of its container and when to try again.</summary>
internal sealed record ImagePull(string? ImageRef, string Reason, string Message, DateTimeOffset? RetryAt)
{
    public static ImagePull Present(string imageRef) => new(imageRef, "", "", null);

    public static ImagePull Waiting(string reason, string message, DateTimeOffset? retryAt) => new(null, reason, message, retryAt);
}
