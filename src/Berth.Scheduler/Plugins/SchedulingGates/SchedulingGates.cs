using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.SchedulingGates;

/// <summary>
/// A pod with scheduling gates waits outside the queue until every gate is removed (the API server marks it
/// <c>SchedulingGated</c>); removing the last one is a spec change, which brings it in.
/// </summary>
public sealed class SchedulingGates : IPreEnqueuePlugin
{
    public string Name => nameof(SchedulingGates);

    public Status PreEnqueue(PodInfo pod) =>
        pod.SchedulingGates.Count == 0 ? Status.Success : Status.Unresolvable($"waiting for scheduling gates: [{string.Join(' ', pod.SchedulingGates)}]");
}
