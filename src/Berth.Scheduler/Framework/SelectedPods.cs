using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The pods of one namespace that a selector selects, as a cycle counts them on node after node: the key that the
/// nodes remember their counts under is made once, not for every node.
/// </summary>
public sealed class SelectedPods(string ns, LabelSelector selector)
{
    public string Namespace { get; } = ns;

    public LabelSelector Selector { get; } = selector;

    public string Key { get; } = ns + "\u0003" + selector.Key;
}
