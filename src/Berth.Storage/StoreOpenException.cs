namespace Berth.Storage;

/// <summary>
/// The datastore cannot be opened: it is corrupt, not a Berth datastore, locked by another server, or
/// unreachable. Start-up stops with this message; the data is never silently recreated.
/// </summary>
public sealed class StoreOpenException : Exception
{
    public StoreOpenException(string message) : base(message)
    {
    }

    public StoreOpenException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
