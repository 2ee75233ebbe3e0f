namespace Berth.Storage.Sqlite;

public sealed record SqliteStoreOptions
{
    /// <summary>The database file; its folder is created when missing.</summary>
    public required string Path { get; init; }

    /// <summary>How long a watcher may be idle before it gets a progress response with the current revision.</summary>
    public TimeSpan WatchProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many responses a watcher may have waiting before it is switched to catching up from the log.</summary>
    public int WatchBufferSize { get; init; } = 1024;

    /// <summary>How often expired leases are looked for.</summary>
    public TimeSpan LeaseCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many revisions one compaction step clears; each step is one short write transaction.</summary>
    public int CompactionStepRevisions { get; init; } = 250;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
