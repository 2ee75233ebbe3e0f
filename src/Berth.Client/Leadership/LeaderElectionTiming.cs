namespace Berth.Client.Leadership;

/// <summary>
/// How leader election runs, with upstream's defaults: a lease is good for 15 s; the leader renews it every 2 s and
/// gives up leading if it could not renew for 10 s (before anyone else may take it over); candidates try every 2 s.
/// </summary>
public sealed record LeaderElectionTiming(TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod)
{
    public static LeaderElectionTiming Default { get; } = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
}
