using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.SchedulingGates;

/// <summary>
/// A pod with scheduling gates waits outside the queue until every gate is removed (the API server marks it
/// <c>SchedulingGated</c>); removing the last one is a spec change, which brings it in.
/// </summary>
public sealed class SchedulingGates : IPreEnqueuePlugin
{
    public string Name => nameof(SchedulingGates);

    public Status PreEnqueue(PodInfo pod)
    {
        var gates = (pod.Spec["schedulingGates"] as JsonArray ?? []).Select(g => g?["name"]?.ToString()).ToList();
        return gates.Count == 0 ? Status.Success : Status.Unresolvable($"waiting for scheduling gates: [{string.Join(' ', gates)}]");
    }
}
