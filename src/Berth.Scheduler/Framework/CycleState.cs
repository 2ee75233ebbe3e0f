using System.Collections.Concurrent;

namespace Berth.Scheduler.Framework;

/// <summary>Scratch space for one scheduling cycle: what a PreFilter computes once and Filters read per node.</summary>
public sealed class CycleState
{
    private readonly ConcurrentDictionary<string, object> _data = new(StringComparer.Ordinal);
    private IFilterPlugin[]? _activeFilters;

    public void Write(string key, object value) => _data[key] = value;

    public T? Read<T>(string key) where T : class => _data.TryGetValue(key, out var value) ? value as T : null;

    /// <summary>Plugins whose PreFilter said Skip: their Filter is not run this cycle.</summary>
    public HashSet<string> SkippedFilters { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The filters of <paramref name="filters"/> that run this cycle, worked out on first use after the PreFilters
    /// rather than for every node.
    /// </summary>
    public IFilterPlugin[] ActiveFilters(IReadOnlyList<IFilterPlugin> filters) =>
        _activeFilters ??= [.. filters.Where(f => !SkippedFilters.Contains(f.Name))];

    /// <summary>Plugins whose PreScore said Skip: their Score is not run this cycle.</summary>
    public HashSet<string> SkippedScores { get; } = new(StringComparer.Ordinal);
}
