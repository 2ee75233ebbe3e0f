namespace Berth.Client.Queues;

/// <summary>What a reconciliation asks of its work queue: nothing more, or another look after a while.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult After(TimeSpan delay) => new(delay);
}
