namespace Berth.Storage.Compaction;

/// <summary>
/// How much history to keep: at least <see cref="MinRetention"/> of time and at least
/// <see cref="MinRevisions"/> revisions (kube-apiserver compacts every 5 minutes).
/// </summary>
public sealed record CompactionPolicy
{
    public TimeSpan MinRetention { get; init; } = TimeSpan.FromMinutes(5);

    public long MinRevisions { get; init; } = 1000;

    /// <summary>How often the revision is sampled and compaction considered.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(1);
}
