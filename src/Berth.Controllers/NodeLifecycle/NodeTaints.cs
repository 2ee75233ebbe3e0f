namespace Berth.Controllers.NodeLifecycle;

/// <summary>
/// The taints the node lifecycle controller owns. NoSchedule ones follow the node's conditions and cordon at once
/// (upstream's TaintNodesByCondition), so the scheduler keeps new pods off a sick node; the NoExecute ones
/// (not-ready, unreachable) go on at the zone's eviction rate and make the taint eviction controller move pods away.
/// </summary>
internal static class NodeTaints
{
    public const string NotReadyKey = "node.kubernetes.io/not-ready";
    public const string UnreachableKey = "node.kubernetes.io/unreachable";
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";

    public static readonly Taint NotReady = new(NotReadyKey, NoExecute);
    public static readonly Taint Unreachable = new(UnreachableKey, NoExecute);

    /// <summary>The condition (type and status) each NoSchedule taint stands for.</summary>
    private static readonly (string Condition, string Status, string Key)[] ByCondition =
    [
        ("Ready", "False", NotReadyKey),
        ("Ready", "Unknown", UnreachableKey),
        ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
        ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
        ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
    ];

    private const string UnschedulableKey = "node.kubernetes.io/unschedulable";

    /// <summary>Whether the controller manages this NoSchedule taint (and so may add or remove it).</summary>
    public static bool IsConditionTaint(Taint taint) =>
        taint.Effect == NoSchedule && (taint.Key == UnschedulableKey || ByCondition.Any(c => c.Key == taint.Key));

    /// <summary>The NoSchedule taints the node's conditions and cordon call for.</summary>
    public static IReadOnlyList<Taint> ForConditions(NodeView node)
    {
        var wanted = ByCondition
            .Where(c => node.Conditions.Any(n => n.Type == c.Condition && n.Status == c.Status))
            .Select(c => new Taint(c.Key, NoSchedule))
            .ToList();
        if (node.Unschedulable)
            wanted.Add(new Taint(UnschedulableKey, NoSchedule));
        return wanted;
    }

    /// <summary>The NoExecute taint a node with Ready <paramref name="ready"/> should carry, if any.</summary>
    public static Taint? ForReadiness(string? ready) => ready switch
    {
        "False" => NotReady,
        "Unknown" => Unreachable,
        _ => null,
    };
}
