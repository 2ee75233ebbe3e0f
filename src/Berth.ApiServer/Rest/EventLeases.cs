using Berth.Storage;

namespace Berth.ApiServer.Rest;

/// <summary>
/// Events expire (an hour after their last write, by default, as upstream's --event-ttl): each write of an event
/// attaches it to a store lease. Leases are shared by the events written within a tenth of the TTL (a minute at
/// most), so a busy cluster grants a lease a minute, not one per event.
/// </summary>
internal sealed class EventLeases(IStore store, TimeSpan ttl, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _reuse = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, ttl.Ticks / 10));
    private Task<long>? _lease;
    private DateTimeOffset _grantedAt;

    /// <summary>The lease to attach to an event written now.</summary>
    public Task<long> CurrentAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_lease is null || _lease.IsFaulted || _lease.IsCanceled || now - _grantedAt >= _reuse)
            {
                // Granted with the reuse window added, so the last event attached still lives the full TTL. Not tied
                // to this request's cancellation: other requests share the grant.
                _lease = store.GrantLeaseAsync(ttl + _reuse, CancellationToken.None);
                _grantedAt = now;
            }
            return _lease.WaitAsync(cancellationToken);
        }
    }
}
