namespace Berth.Agent.Runtime;

/// <summary>A container's image could not be had: <paramref name="reason"/> is what its waiting state shows (<c>ErrImagePull</c>, <c>ErrImageNeverPull</c>).</summary>
public sealed class ImageUnavailableException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
