namespace Berth.Client.Informers;

/// <summary>One index of an informer's objects: index key → the keys (<c>namespace/name</c>) of the objects filed under it.</summary>
internal sealed class InformerIndex<T>(Func<T, IEnumerable<string>> keysOf) where T : class
{
    private readonly Dictionary<string, HashSet<string>> _entries = new(StringComparer.Ordinal);

    public IEnumerable<string> Find(string key) => _entries.TryGetValue(key, out var found) ? found : [];

    public void Replace(string objectKey, T? old, T? item)
    {
        if (old is not null)
        {
            foreach (var key in keysOf(old))
            {
                if (_entries.TryGetValue(key, out var set) && set.Remove(objectKey) && set.Count == 0)
                    _entries.Remove(key);
            }
        }
        if (item is not null)
        {
            foreach (var key in keysOf(item))
            {
                if (!_entries.TryGetValue(key, out var set))
                    _entries[key] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(objectKey);
            }
        }
    }

    public void Clear() => _entries.Clear();
}
