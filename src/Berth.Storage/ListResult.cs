namespace Berth.Storage;

/// <param name="Status">Whether the list could be served.</param>
/// <param name="Items">The keys in order.</param>
/// <param name="Revision">The revision the list was read at; pass it back for the next page.</param>
/// <param name="ContinueKey">Where the next page starts, or null when nothing remains.</param>
/// <param name="Error">Why an invalid list was refused.</param>
public sealed record ListResult(ReadStatus Status, IReadOnlyList<KeyValue> Items, long Revision, string? ContinueKey, string? Error = null)
{
    public bool More => ContinueKey is not null;

    public static ListResult Failed(ReadStatus status, long revision, string? error = null) => new(status, [], revision, null, error);
}
