namespace Berth.Scheduler.Framework;

/// <summary>How a plugin judged a pod against a node: fits, does not fit (perhaps after preemption), or broke.</summary>
public enum StatusCode
{
    Success,

    /// <summary>Does not fit now; removing other pods (preemption) might make it fit.</summary>
    Unschedulable,

    /// <summary>Does not fit, and removing pods would not change that (a taint, a selector).</summary>
    UnschedulableAndUnresolvable,

    /// <summary>The plugin failed; the pod is tried again later.</summary>
    Error,

    /// <summary>From PreFilter or PreScore: nothing for this plugin to judge for this pod; its Filter or Score is skipped.</summary>
    Skip,
}

/// <summary>A plugin's verdict and the reasons kubectl users read in FailedScheduling events ("Insufficient cpu").</summary>
public sealed record Status(StatusCode Code, IReadOnlyList<string> Reasons)
{
    public static Status Success { get; } = new(StatusCode.Success, []);

    public static Status Skip { get; } = new(StatusCode.Skip, []);

    public bool IsSuccess => Code == StatusCode.Success;

    /// <summary>The reasons as one sentence part, as events show them.</summary>
    public string Message => string.Join(", ", Reasons);

    public static Status Unschedulable(params string[] reasons) => new(StatusCode.Unschedulable, reasons);

    public static Status Unresolvable(params string[] reasons) => new(StatusCode.UnschedulableAndUnresolvable, reasons);
}
