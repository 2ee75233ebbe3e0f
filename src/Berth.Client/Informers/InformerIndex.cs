namespace Berth.Client.Informers;

/// <summary>
/// One index of an informer's objects: index key → the objects filed under it, by their keys (<c>namespace/name</c>).
/// The objects themselves, not only their keys: a controller reads a whole namespace's pods on every pass.
/// </summary>
internal sealed class InformerIndex<T>(Func<T, IEnumerable<string>> keysOf) where T : class
{
    private readonly Dictionary<string, Dictionary<string, T>> _entries = new(StringComparer.Ordinal);

    public IEnumerable<T> Find(string key) => _entries.TryGetValue(key, out var found) ? found.Values : [];

    public void Replace(string objectKey, T? old, T? item)
    {
        if (old is not null)
        {
            foreach (var key in keysOf(old))
            {
                if (_entries.TryGetValue(key, out var filed) && filed.Remove(objectKey) && filed.Count == 0)
                    _entries.Remove(key);
            }
        }
        if (item is not null)
        {
            foreach (var key in keysOf(item))
            {
                if (!_entries.TryGetValue(key, out var filed))
                    _entries[key] = filed = new Dictionary<string, T>(StringComparer.Ordinal);
                filed[objectKey] = item;
            }
        }
    }

    public void Clear() => _entries.Clear();
}
