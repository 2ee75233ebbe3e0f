namespace Berth.Storage;

/// <summary>
/// The outcome of a create, update or delete.
/// </summary>
/// <param name="Status">What happened.</param>
/// <param name="Revision">The store's revision after the write (or when it was refused).</param>
/// <param name="Kv">
/// Ok: the new value (for a delete, the value that was deleted). KeyExists and Conflict: the current value.
/// </param>
/// <param name="Error">Why an invalid write was refused.</param>
public sealed record WriteResult(WriteStatus Status, long Revision, KeyValue? Kv, string? Error = null)
{
    public bool Succeeded => Status == WriteStatus.Ok;

    public static WriteResult Invalid(string error) => new(WriteStatus.Invalid, 0, null, error);
}
