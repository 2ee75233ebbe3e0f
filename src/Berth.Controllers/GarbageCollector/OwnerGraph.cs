namespace Berth.Controllers.GarbageCollector;

/// <summary>
/// The ownerReferences graph of every object in the cluster, kept current from the informers. Each change says
/// which objects need the collector's attention (by uid): an object whose owner is gone or not yet seen, an
/// object being deleted with orphaning or in the foreground, and an owner waiting for a dependent that changed.
/// </summary>
internal sealed class OwnerGraph
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, GraphObject> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);

    public GraphObject? Get(string uid)
    {
        lock (_gate)
            return _objects.GetValueOrDefault(uid);
    }

    /// <summary>The objects that name <paramref name="ownerUid"/> as an owner.</summary>
    public List<GraphObject> DependentsOf(string ownerUid)
    {
        lock (_gate)
        {
            return _dependents.TryGetValue(ownerUid, out var uids)
                ? [.. uids.Select(u => _objects.GetValueOrDefault(u)).OfType<GraphObject>()]
                : [];
        }
    }

    /// <summary>Records a change (old null: added; now null: deleted) and returns the uids to reconcile.</summary>
    public List<string> Observe(GraphObject? old, GraphObject? now)
    {
        var attention = new List<string>();
        lock (_gate)
        {
            if (now is null)
            {
                _objects.Remove(old!.Uid);
                Unlink(old, old.Owners, attention);
                // Its dependents lost an owner.
                if (_dependents.TryGetValue(old.Uid, out var orphans))
                    attention.AddRange(orphans);
                return attention;
            }

            _objects[now.Uid] = now;
            var before = old is not null && old.Uid == now.Uid ? old.Owners : [];
            Unlink(now, before.Where(o => !now.Owners.Any(n => n.Uid == o.Uid)), attention);
            foreach (var owner in now.Owners)
            {
                if (!_dependents.TryGetValue(owner.Uid, out var set))
                    _dependents[owner.Uid] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(now.Uid);
                // An owner not seen (yet) may be gone: the collector checks with the API server.
                if (!_objects.TryGetValue(owner.Uid, out var known))
                    attention.Add(now.Uid);
                else if (known.WaitsForDependents)
                    attention.Add(owner.Uid);
            }
            if (now.Orphaning || now.WaitsForDependents)
                attention.Add(now.Uid);
            if (now.Deleting && old is { Deleting: false })
            {
                // A dependent that started going may be what a foreground owner waits for.
                attention.AddRange(now.Owners.Select(o => o.Uid).Where(u => _objects.GetValueOrDefault(u)?.WaitsForDependents == true));
            }
        }
        return attention;
    }

    /// <summary>Drops <paramref name="dependent"/> from the given owners; an owner waiting for it is looked at again.</summary>
    private void Unlink(GraphObject dependent, IEnumerable<OwnerRef> owners, List<string> attention)
    {
        foreach (var owner in owners)
        {
            if (_dependents.TryGetValue(owner.Uid, out var set))
            {
                set.Remove(dependent.Uid);
                if (set.Count == 0)
                    _dependents.Remove(owner.Uid);
            }
            if (_objects.GetValueOrDefault(owner.Uid)?.WaitsForDependents == true)
                attention.Add(owner.Uid);
        }
    }
}
