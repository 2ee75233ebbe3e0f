namespace Berth.Client.Events;

/// <summary>A map of at most a given number of entries that forgets the least recently used first. Not thread-safe.</summary>
internal sealed class LruCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _entries = new(capacity);
    private readonly LinkedList<(TKey Key, TValue Value)> _byUse = new();

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var node))
        {
            _byUse.Remove(node);
            _byUse.AddFirst(node);
            value = node.Value.Value;
            return true;
        }
        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        if (_entries.TryGetValue(key, out var node))
        {
            node.Value = (key, value);
            _byUse.Remove(node);
            _byUse.AddFirst(node);
            return;
        }
        if (_entries.Count >= capacity)
        {
            _entries.Remove(_byUse.Last!.Value.Key);
            _byUse.RemoveLast();
        }
        _entries[key] = _byUse.AddFirst((key, value));
    }
}
