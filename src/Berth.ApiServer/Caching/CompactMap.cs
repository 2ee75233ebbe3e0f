using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Berth.ApiServer.Caching;

/// <summary>
/// A small read-only string map kept as one array of pairs, for what the watch cache holds per object (labels and
/// selectable fields, a handful each): a dictionary's buckets and entries cost several times the strings themselves
/// once 10,000 objects each have two. Lookups scan, which for a handful of keys is as fast as hashing.
/// </summary>
internal sealed class CompactMap : IReadOnlyDictionary<string, string>
{
    public static readonly CompactMap Empty = new([]);

    private readonly KeyValuePair<string, string>[] _pairs;

    private CompactMap(KeyValuePair<string, string>[] pairs) => _pairs = pairs;

    public static CompactMap From(IReadOnlyDictionary<string, string> map) => map.Count == 0 ? Empty : new([.. map]);

    public int Count => _pairs.Length;

    public IEnumerable<string> Keys => _pairs.Select(p => p.Key);

    public IEnumerable<string> Values => _pairs.Select(p => p.Value);

    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        foreach (var pair in _pairs)
        {
            if (string.Equals(pair.Key, key, StringComparison.Ordinal))
            {
                value = pair.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
