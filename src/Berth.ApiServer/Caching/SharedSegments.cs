namespace Berth.ApiServer.Caching;

/// <summary>
/// Byte strings kept once however many cached objects hold them, and only while one does: entries are weak, and
/// those whose bytes were collected are swept out as new ones come in.
/// </summary>
internal static class SharedSegments
{
    private const int SweepEvery = 4096;

    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, List<WeakReference<byte[]>>> ByHash = [];
    private static int _sinceSweep;

    public static byte[] Intern(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        var key = hash.ToHashCode();
        lock (Gate)
        {
            if (!ByHash.TryGetValue(key, out var candidates))
            {
                candidates = [];
                ByHash[key] = candidates;
            }
            foreach (var candidate in candidates)
            {
                if (candidate.TryGetTarget(out var shared) && bytes.SequenceEqual(shared))
                    return shared;
            }
            var copy = bytes.ToArray();
            candidates.Add(new WeakReference<byte[]>(copy));
            if (++_sinceSweep >= SweepEvery)
                Sweep();
            return copy;
        }
    }

    private static void Sweep()
    {
        _sinceSweep = 0;
        foreach (var (key, candidates) in ByHash.ToList())
        {
            candidates.RemoveAll(c => !c.TryGetTarget(out _));
            if (candidates.Count == 0)
                ByHash.Remove(key);
        }
    }
}
