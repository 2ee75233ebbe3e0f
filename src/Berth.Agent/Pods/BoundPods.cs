using System.Collections.Concurrent;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Pods;

/// <summary>
/// The pods bound to one node, or to any node: one pod watch (field selector <c>spec.nodeName</c>) whose changes go
/// to the agent of the pod's node, with each pod at hand as last seen and each node's pods for admission. A real agent has one for its node;
/// hollow nodes share one, so a thousand of them cost the API server one watch, not a thousand.
/// </summary>
public sealed class BoundPods
{
    public static readonly ApiResource Resource = new("", "v1", "Pod", "pods", Namespaced: true, ["get", "list", "watch"]);

    private readonly Informer<BoundPod> _informer;
    private readonly ConcurrentDictionary<string, Action<string>> _agents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, BoundPod>> _byNode = new(StringComparer.Ordinal);

    /// <summary>Follows the pods bound to <paramref name="nodeName"/>, or with null those bound to any node.</summary>
    public BoundPods(ApiClient client, string? nodeName, ILoggerFactory loggers)
    {
        _informer = new Informer<BoundPod>(client, Resource, BoundPod.Read, loggers.CreateLogger<Informer<BoundPod>>(),
            nodeName is null ? "spec.nodeName!=" : $"spec.nodeName={nodeName}");
        _informer.OnChange(Changed);
    }

    public Task RunAsync(CancellationToken cancellationToken) => _informer.RunAsync(cancellationToken);

    /// <summary>Completes once the first list has been taken in.</summary>
    internal Task Synced => _informer.Synced;

    /// <summary>A pod as last seen, or null if it is not bound to a node this watch follows (or gone).</summary>
    internal BoundPod? Find(string ns, string name) => _informer.Get(ns, name);

    /// <summary>Tells <paramref name="changed"/> the key of every pod on <paramref name="nodeName"/> that changes.</summary>
    internal void Subscribe(string nodeName, Action<string> changed) => _agents[nodeName] = changed;

    /// <summary>The pods bound to a node as last seen.</summary>
    internal ICollection<BoundPod> On(string nodeName) => _byNode.TryGetValue(nodeName, out var pods) ? pods.Values : [];

    private void Changed(BoundPod? old, BoundPod? now)
    {
        if (old is not null && (now is null || now.NodeName != old.NodeName) && _byNode.TryGetValue(old.NodeName, out var before))
            before.TryRemove(old.Key, out _);
        if (now is not null)
            _byNode.GetOrAdd(now.NodeName, _ => new ConcurrentDictionary<string, BoundPod>(StringComparer.Ordinal))[now.Key] = now;
        foreach (var pod in new[] { old, now })
        {
            if (pod is not null && _agents.TryGetValue(pod.NodeName, out var agent))
                agent(pod.Key);
        }
    }
}
