namespace Berth.Scheduler.Framework;

/// <summary>A scheduling plugin: one sealed class, implementing the extension points it needs.</summary>
public interface IPlugin
{
    /// <summary>The name configurations use (upstream's: <c>NodeResourcesFit</c>).</summary>
    string Name { get; }
}

/// <summary>Looks at the pod once per cycle, before any node: computes what Filter will need, or rejects the pod outright.</summary>
public interface IPreFilterPlugin : IPlugin
{
    Status PreFilter(CycleState state, PodInfo pod);
}

/// <summary>Whether the pod may run on a node. Called for many nodes in parallel: no shared mutable state.</summary>
public interface IFilterPlugin : IPlugin
{
    Status Filter(CycleState state, PodInfo pod, NodeInfo node);
}

/// <summary>How good a feasible node is for the pod, from 0 to <see cref="MaxScore"/>.</summary>
public interface IScorePlugin : IPlugin
{
    public const long MaxScore = 100;

    long Score(CycleState state, PodInfo pod, NodeInfo node);
}
