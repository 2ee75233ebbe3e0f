namespace Berth.Storage;

public enum ReadStatus
{
    /// <summary>The read happened (a missing key is still Ok, with no value).</summary>
    Ok,

    /// <summary>The revision asked for is older than the compacted revision.</summary>
    Compacted,

    /// <summary>The revision asked for has not happened yet.</summary>
    FutureRevision,

    /// <summary>The key or prefix breaks the store's rules; <c>Error</c> says how.</summary>
    Invalid,
}
