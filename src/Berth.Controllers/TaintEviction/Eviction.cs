using Berth.Core.Pods;

namespace Berth.Controllers.TaintEviction;

/// <summary>
/// When a pod on a node with NoExecute taints must go, by upstream's rules: at once if some taint is not tolerated;
/// never if every taint is tolerated for ever; else after the shortest <c>tolerationSeconds</c> among the
/// tolerations that let it stay (the first that matches each taint).
/// </summary>
internal readonly record struct Eviction(bool Never, TimeSpan After)
{
    public static Eviction None { get; } = new(true, TimeSpan.Zero);

    public static Eviction Now { get; } = new(false, TimeSpan.Zero);

    public static Eviction For(IReadOnlyList<NoExecuteTaint> taints, IReadOnlyList<Toleration> tolerations)
    {
        long? shortest = null;
        foreach (var taint in taints)
        {
            if (tolerations.FirstOrDefault(t => t.Tolerates(taint.Key, taint.Value, "NoExecute")) is not { } toleration)
                return Now;
            if (toleration.Seconds is { } seconds)
                shortest = Math.Min(shortest ?? long.MaxValue, Math.Max(seconds, 0));
        }
        return shortest is { } s ? new Eviction(false, TimeSpan.FromSeconds(s)) : None;
    }
}
