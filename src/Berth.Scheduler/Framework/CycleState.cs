namespace Berth.Scheduler.Framework;

/// <summary>Scratch space for one scheduling cycle: what a PreFilter computes once and Filters read per node.</summary>
public sealed class CycleState
{
    private readonly Lock _writing = new();

    /// <summary>
    /// The entries, replaced whole on each write: a cycle holds a handful, written in its single-threaded steps and
    /// read for every node from parallel filters and scorers, mostly by the same constant key, which a reference
    /// comparison finds without hashing.
    /// </summary>
    private (string Key, object Value)[] _entries = [];
    private IFilterPlugin[]? _activeFilters;

    public void Write(string key, object value)
    {
        lock (_writing)
        {
            var entries = _entries;
            for (var i = 0; i < entries.Length; i++)
            {
                if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
                {
                    (string Key, object Value)[] changed = [.. entries];
                    changed[i] = (key, value);
                    _entries = changed;
                    return;
                }
            }
            _entries = [.. entries, (key, value)];
        }
    }

    public T? Read<T>(string key) where T : class
    {
        var entries = _entries;
        for (var i = 0; i < entries.Length; i++)
        {
            if (ReferenceEquals(entries[i].Key, key))
                return entries[i].Value as T;
        }
        for (var i = 0; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
                return entries[i].Value as T;
        }
        return null;
    }

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
