using System.Collections.Concurrent;

namespace Berth.Scheduler.Framework;

/// <summary>The labels of every namespace, for the namespace selectors of pod affinity terms.</summary>
public sealed class NamespaceLabels
{
    private static readonly Dictionary<string, string> None = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _labels = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Of(string ns) => _labels.TryGetValue(ns, out var labels) ? labels : None;

    public void Set(string ns, IReadOnlyDictionary<string, string> labels) => _labels[ns] = labels;

    public void Remove(string ns) => _labels.TryRemove(ns, out _);
}
