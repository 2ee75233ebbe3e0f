namespace Berth.Controllers.NodeLifecycle;

/// <summary>
/// A token bucket holding one token (upstream's eviction limiter has a burst of 1), refilled at a rate that can
/// change; a rate of zero lets nothing through. A new or re-rated bucket starts full.
/// </summary>
internal sealed class TokenBucket(double perSecond, DateTimeOffset now)
{
    private double _tokens = 1;
    private DateTimeOffset _filled = now;

    public double Rate { get; private set; } = perSecond;

    public void SetRate(double perSecond, DateTimeOffset now)
    {
        if (perSecond == Rate)
            return;
        (Rate, _tokens, _filled) = (perSecond, 1, now);
    }

    /// <summary>Takes a token if there is one.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        if (Rate <= 0)
            return false;
        _tokens = Math.Min(1, _tokens + ((now - _filled).TotalSeconds * Rate));
        _filled = now;
        if (_tokens < 1)
            return false;
        _tokens -= 1;
        return true;
    }
}
