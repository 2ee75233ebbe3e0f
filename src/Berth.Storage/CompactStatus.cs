namespace Berth.Storage;

public enum CompactStatus
{
    /// <summary>History up to the revision is discarded (or being discarded in the background).</summary>
    Ok,

    /// <summary>The store was already compacted at or beyond the revision.</summary>
    AlreadyCompacted,

    /// <summary>The revision has not happened yet.</summary>
    FutureRevision,
}
