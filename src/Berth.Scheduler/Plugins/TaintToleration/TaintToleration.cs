using System.Text.Json.Nodes;
using Berth.Core.Pods;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.TaintToleration;

/// <summary>
/// A node's NoSchedule and NoExecute taints keep off pods that do not tolerate them; the first one untolerated is
/// named, as upstream's message does: <c>node(s) had untolerated taint {key: value}</c>.
/// </summary>
public sealed class TaintToleration : IFilterPlugin
{
    public string Name => nameof(TaintToleration);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var tolerations = pod.Spec["tolerations"] as JsonArray;
        var untolerated = node.Taints.FirstOrDefault(t => t["effect"]?.ToString() is "NoSchedule" or "NoExecute" && !Tolerations.Tolerate(tolerations, t));
        return untolerated is null
            ? Status.Success
            : Status.Unresolvable($"node(s) had untolerated taint {{{untolerated["key"]}: {untolerated["value"]}}}");
    }
}
