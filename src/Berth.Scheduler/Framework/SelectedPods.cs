using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The pods of one namespace that a selector selects, as a cycle counts them on node after node. Nodes remember their
/// counts by it: equal when namespace and requirements are, with the hash made once, not for every node.
/// </summary>
public sealed class SelectedPods : IEquatable<SelectedPods>
{
    private readonly string _key;
    private readonly int _hash;

    public SelectedPods(string ns, LabelSelector selector)
    {
        Namespace = ns;
        Selector = selector;
        _key = ns + "\u0003" + selector.Key;
        _hash = StringComparer.Ordinal.GetHashCode(_key);
    }

    public string Namespace { get; }

    public LabelSelector Selector { get; }

    public bool Equals(SelectedPods? other) => other is not null && (ReferenceEquals(this, other) || string.Equals(_key, other._key, StringComparison.Ordinal));

    public override bool Equals(object? obj) => Equals(obj as SelectedPods);

    public override int GetHashCode() => _hash;
}
