using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.NodeAffinity;
using Berth.Scheduler.Plugins.NodeName;
using Berth.Scheduler.Plugins.NodePorts;
using Berth.Scheduler.Plugins.NodeResourcesFit;
using Berth.Scheduler.Plugins.NodeUnschedulable;
using Berth.Scheduler.Plugins.TaintToleration;

namespace Berth.Scheduler;

/// <summary>A scheduler profile: the name pods select it by (<c>spec.schedulerName</c>) and its plugins in order.</summary>
public sealed record Profile(string SchedulerName, IReadOnlyList<IFilterPlugin> Filters, IReadOnlyList<(IScorePlugin Plugin, int Weight)> Scorers)
{
    /// <summary>Upstream's default profile, as far as Berth has its plugins, in upstream's order.</summary>
    public static Profile Default()
    {
        var fit = new NodeResourcesFit();
        return new Profile("default-scheduler",
            [new NodeUnschedulable(), new NodeName(), new TaintToleration(), new NodeAffinity(), new NodePorts(), fit],
            [(fit, 1)]);
    }
}
