namespace Berth.Storage;

/// <param name="Status">Whether the read could be served.</param>
/// <param name="Kv">The value, or null when the key did not exist at that revision.</param>
/// <param name="Revision">The revision the read was served at.</param>
/// <param name="Error">Why an invalid read was refused.</param>
public sealed record GetResult(ReadStatus Status, KeyValue? Kv, long Revision, string? Error = null);
