namespace Berth.Storage;

/// <param name="Revision">Read at this revision; 0 reads the current one. Later pages pass the first page's revision.</param>
/// <param name="Limit">At most this many keys; 0 for all.</param>
/// <param name="StartKey">Start at this key (inclusive) instead of the prefix: a previous page's <see cref="ListResult.ContinueKey"/>.</param>
public sealed record ListOptions(long Revision = 0, long Limit = 0, string? StartKey = null)
{
    public static ListOptions All { get; } = new();
}
