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
    /// <remarks>
    /// Each of <paramref name="credentials"/> (from the pod's image pull secrets, for the image's registry) is tried in
    /// turn until one works; with none the pull is anonymous.
    /// </remarks>
    public async Task<ImagePull> EnsureAsync(JsonObject pod, PodSandboxConfig identity, ContainerSpec container, IReadOnlyList<RegistryAuth> credentials,
        CancellationToken cancellationToken)
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
            var pulled = await PullAsync(container.Image, credentials, pod, cancellationToken);
            events.Pulled(identity, container, clock.Elapsed);
            lock (_gate)
                _backOff.Remove(key);
            return ImagePull.Present(pulled);
        }
        catch (ImageUnavailableException e)
        {
            events.PullFailed(identity, container, e.Reason, $"Failed to pull image \"{container.Image}\": {e.Message}");
            DateTimeOffset until;
            lock (_gate)
            {
                var delay = _backOff.TryGetValue(key, out var before) ? Min(before.Delay * 2, ContainerBackOff.Max) : ContainerBackOff.Initial;
                until = time.GetUtcNow() + delay;
                _backOff[key] = (delay, until, e.Message);
            }
            return ImagePull.Waiting(e.Reason, e.Message, until);
        }
    }

    private async Task<string> PullAsync(string image, IReadOnlyList<RegistryAuth> credentials, JsonObject pod, CancellationToken cancellationToken)
    {
        if (credentials.Count == 0)
            return await runtime.PullImageAsync(image, null, pod, cancellationToken);
        ImageUnavailableException? last = null;
        foreach (var auth in credentials)
        {
            try
            {
                return await runtime.PullImageAsync(image, auth, pod, cancellationToken);
            }
            catch (ImageUnavailableException e)
            {
                last = e;
            }
        }
        throw last!;
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
