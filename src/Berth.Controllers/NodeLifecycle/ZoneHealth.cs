namespace Berth.Controllers.NodeLifecycle;

/// <summary>How sick a zone is, which sets how fast its nodes get NoExecute taints.</summary>
internal enum ZoneState
{
    /// <summary>Few nodes not ready: the normal eviction rate.</summary>
    Normal,

    /// <summary>More than two nodes and at least the threshold's share not ready: the secondary rate in a big zone, else none.</summary>
    PartialDisruption,

    /// <summary>No node ready: the normal rate, unless every zone is so (then the trouble is likely not the nodes', and nothing is evicted).</summary>
    FullDisruption,
}

/// <summary>Upstream's zone states and the eviction rate each calls for.</summary>
internal static class ZoneHealth
{
    public static ZoneState State(int ready, int notReady, double unhealthyThreshold) =>
        ready == 0 && notReady > 0 ? ZoneState.FullDisruption
        : notReady > 2 && (double)notReady / (notReady + ready) >= unhealthyThreshold ? ZoneState.PartialDisruption
        : ZoneState.Normal;

    /// <summary>NoExecute taints a second for a zone of <paramref name="size"/> nodes in <paramref name="state"/>.</summary>
    public static double EvictionRate(ZoneState state, int size, NodeLifecycleOptions options) => state switch
    {
        ZoneState.PartialDisruption => size > options.LargeClusterThreshold ? options.SecondaryEvictionRate : 0,
        _ => options.EvictionRate,
    };
}
