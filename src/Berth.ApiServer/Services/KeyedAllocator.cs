using Berth.Storage;

namespace Berth.ApiServer.Services;

/// <summary>
/// Allocation kept in the store, one key per allocated item under a prefix, naming its owner. The store's
/// create-if-absent decides who gets an item, so concurrent requests, and several API servers sharing the store,
/// never hand one out twice; a crash between allocating and storing the Service leaves a key that the repair pass
/// removes.
/// </summary>
internal sealed class KeyedAllocator(IStore store, string prefix)
{
    /// <summary>Random picks tried before reading which items are taken.</summary>
    private const int BlindAttempts = 8;

    /// <summary>How often the free items are read again when others took the picked one first.</summary>
    private const int Rounds = 10;

    public string Prefix => prefix;

    public string Key(string item) => prefix + item;

    /// <summary>
    /// Claims <paramref name="item"/> for <paramref name="owner"/> (a dry run only checks that it could): false when
    /// another Service holds it. An item its owner holds already is claimed again.
    /// </summary>
    public async Task<bool> ClaimAsync(string item, AllocationOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        if (dryRun)
            return (await store.GetAsync(Key(item), 0, cancellationToken)).Kv is not { } existing || HeldBy(existing, owner.Uid);
        var result = await store.CreateAsync(Key(item), owner.ToBytes(), 0, cancellationToken);
        return result.Status switch
        {
            WriteStatus.Ok => true,
            WriteStatus.KeyExists => result.Kv is { } current && HeldBy(current, owner.Uid),
            _ => throw new InvalidOperationException($"the datastore refused allocation key {Key(item)}: {result.Status} {result.Error}"),
        };
    }

    /// <summary>Claims a random free item of <paramref name="space"/>; null when none is free.</summary>
    public async Task<string?> ClaimAnyAsync(AllocationSpace space, AllocationOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < BlindAttempts; attempt++)
        {
            var item = space.Name(Random.Shared.NextInt64(space.DynamicFirst, space.Last + 1));
            if (await ClaimAsync(item, owner, dryRun, cancellationToken))
                return item;
        }
        for (var round = 0; round < Rounds; round++)
        {
            var taken = await TakenAsync(space, cancellationToken);
            var free = Free(space.DynamicFirst, space.Last, taken);
            if (free.Count == 0)
                free = Free(space.First, space.DynamicFirst - 1, taken);
            if (free.Count == 0)
                return null;
            var item = space.Name(free[Random.Shared.Next(free.Count)]);
            if (await ClaimAsync(item, owner, dryRun, cancellationToken))
                return item;
        }
        return null;
    }

    /// <summary>Releases <paramref name="item"/> if <paramref name="ownerUid"/> holds it (not when it went to another since).</summary>
    public async Task ReleaseAsync(string item, string ownerUid, CancellationToken cancellationToken)
    {
        if ((await store.GetAsync(Key(item), 0, cancellationToken)).Kv is { } kv && HeldBy(kv, ownerUid))
            await store.DeleteAsync(kv.Key, kv.ModRevision, cancellationToken);
    }

    private static bool HeldBy(KeyValue kv, string uid) => AllocationOwner.Parse(kv.Value.Span)?.Uid == uid;

    private async Task<HashSet<long>> TakenAsync(AllocationSpace space, CancellationToken cancellationToken)
    {
        var list = await store.ListAsync(prefix, ListOptions.All, cancellationToken);
        return [.. list.Items.Select(kv => space.Number(kv.Key[prefix.Length..])).OfType<long>()];
    }

    private static List<long> Free(long first, long last, HashSet<long> taken)
    {
        var free = new List<long>();
        for (var number = first; number <= last; number++)
        {
            if (!taken.Contains(number))
                free.Add(number);
        }
        return free;
    }
}
