using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The label selectors of the Services, ReplicationControllers, ReplicaSets and StatefulSets, by namespace: what
/// upstream's default spreading takes as the selector of a pod that declares none. The selector for a pod merges
/// those of the Services in its namespace that select it and that of the controller owning it, if it is one of
/// those kinds.
/// </summary>
public sealed class OwnerSelectors
{
    public const string Service = "Service";
    public const string ReplicationController = "ReplicationController";
    public const string ReplicaSet = "ReplicaSet";
    public const string StatefulSet = "StatefulSet";

    private static readonly Dictionary<string, JsonObject> Empty = new(StringComparer.Ordinal);

    /// <summary>(kind, namespace) → name → <c>spec.selector</c>: a label map for Services and ReplicationControllers, a LabelSelector for the others; copies, never changed once stored.</summary>
    private readonly ConcurrentDictionary<(string Kind, string Namespace), ConcurrentDictionary<string, JsonObject>> _selectors = new();

    /// <summary>Records an object of <paramref name="kind"/> (one of the constants); one without a selector selects nothing and is forgotten.</summary>
    public void Set(string kind, JsonObject obj)
    {
        var (ns, name) = NameOf(obj);
        if (obj["spec"]?["selector"] is JsonObject selector)
            _selectors.GetOrAdd((kind, ns), _ => new(StringComparer.Ordinal))[name] = (JsonObject)selector.DeepClone();
        else
            Remove(kind, obj);
    }

    public void Remove(string kind, JsonObject obj)
    {
        var (ns, name) = NameOf(obj);
        if (_selectors.TryGetValue((kind, ns), out var named))
            named.TryRemove(name, out _);
    }

    /// <summary>
    /// The selector of the pods that go with <paramref name="pod"/>, as upstream's DefaultSelector deduces it: the
    /// labels of every Service selecting it and of its ReplicationController merged, and its ReplicaSet's or
    /// StatefulSet's selector added. Null when that leaves no requirement at all.
    /// </summary>
    public LabelSelector? For(PodInfo pod)
    {
        var labels = new JsonObject();
        foreach (var (_, selector) in Named(Service, pod.Namespace))
        {
            if (selector.All(l => pod.Labels.TryGetValue(l.Key, out var value) && value == l.Value?.ToString()))
                Merge(labels, selector);
        }
        var expressions = new JsonArray();
        var owner = pod.Controller;
        switch (owner?.ApiVersion, owner?.Kind)
        {
            case ("v1", ReplicationController) when Named(ReplicationController, pod.Namespace).TryGetValue(owner.Name, out var map):
                Merge(labels, map);
                break;
            case ("apps/v1", ReplicaSet or StatefulSet) when Named(owner.Kind, pod.Namespace).TryGetValue(owner.Name, out var selector)
                && LabelSelector.FromJson(selector) is not null:
                foreach (var (key, value) in selector["matchLabels"] as JsonObject ?? [])
                    expressions.Add((JsonNode)new JsonObject { ["key"] = key, ["operator"] = "In", ["values"] = new JsonArray(value?.ToString()) });
                foreach (var expression in selector["matchExpressions"] as JsonArray ?? [])
                    expressions.Add(expression?.DeepClone());
                break;
        }
        var merged = LabelSelector.FromJson(new JsonObject { ["matchLabels"] = labels, ["matchExpressions"] = expressions });
        return merged is { IsEverything: false } ? merged : null;
    }

    private IReadOnlyDictionary<string, JsonObject> Named(string kind, string ns) =>
        _selectors.TryGetValue((kind, ns), out var named) ? named : Empty;

    private static void Merge(JsonObject into, JsonObject labels)
    {
        foreach (var (key, value) in labels)
            into[key] = value?.ToString();
    }

    private static (string Namespace, string Name) NameOf(JsonObject obj) =>
        (obj["metadata"]?["namespace"]?.ToString() ?? "", obj["metadata"]?["name"]?.ToString() ?? "");
}
