using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Events;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Controllers.Pods;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.TaintEviction;

/// <summary>
/// Upstream's taint eviction controller: deletes the pods on a node with NoExecute taints they do not tolerate, at
/// once, or when their <c>tolerationSeconds</c> run out (counted from when the taint was added), with the
/// <c>DisruptionTarget</c> condition saying why and a <c>TaintManagerEviction</c> event. A pod whose node loses the
/// taints in time stays, and its eviction is cancelled.
/// </summary>
public sealed partial class TaintEvictionController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
{
    private const string ByNode = "node";

    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", true, ["list", "watch"]);
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", false, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<TaintEvictionController>();

    /// <summary>Pods (by key) due for eviction, since when their countdown runs.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _counting = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // All pods, as the other controllers watch them (one watch between them), of which only the bound are kept.
        var pods = new Informer<EvictionPod>(client, Pods, EvictionPod.Read, loggerFactory.CreateLogger<Informer<EvictionPod>>());
        var nodes = new Informer<EvictionNode>(client, Nodes, EvictionNode.Read, loggerFactory.CreateLogger<Informer<EvictionNode>>());
        var events = new EventRecorder(client, "taint-eviction-controller", time, _logger);
        using var queue = new WorkQueue<string>(time);
        pods.AddIndex(ByNode, p => [p.NodeName]);
        pods.OnChange((old, now) =>
        {
            if (now is not null && (old is null || old.NodeName != now.NodeName || !old.Tolerations.SequenceEqual(now.Tolerations)))
                queue.Add(now.Key);
            else if (now is null)
                _counting.TryRemove(old!.Key, out _);
        });
        nodes.OnChange((old, now) =>
        {
            if (now is not null && !now.SameTaints(old) && (now.Taints.Count > 0 || old?.Taints.Count > 0))
            {
                foreach (var pod in pods.ByIndex(ByNode, now.Name))
                    queue.Add(pod.Key);
            }
        });
        var watching = Task.WhenAll(pods.RunAsync(cancellationToken), nodes.RunAsync(cancellationToken), events.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(pods.Synced, nodes.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(4, (key, ct) => ReconcileAsync(pods, nodes, events, key, ct), _logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> ReconcileAsync(Informer<EvictionPod> pods, Informer<EvictionNode> nodes, EventRecorder events, string key,
        CancellationToken cancellationToken)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (pods.Get(key[..slash], key[(slash + 1)..]) is not { Deleting: false } pod || nodes.Get(null, pod.NodeName) is not { } node)
        {
            _counting.TryRemove(key, out _);
            return ReconcileResult.Done;
        }
        var eviction = Eviction.For(node.Taints, pod.Tolerations);
        if (eviction.Never)
        {
            if (_counting.TryRemove(key, out _))
                events.Record("v1", "Pod", Metadata(pod), "Normal", "TaintManagerEviction", $"Cancelling deletion of Pod {key}");
            return ReconcileResult.Done;
        }
        var now = time.GetUtcNow();
        // The countdown runs from when the oldest taint was added (so a restart does not reset it), else from now.
        var since = _counting.GetOrAdd(key, _ => node.Taints.Min(t => t.Added) is { } added && added < now ? added : now);
        var due = since + eviction.After;
        if (due > now)
            return ReconcileResult.After(due - now);

        Log.Evicting(_logger, key, pod.NodeName);
        events.Record("v1", "Pod", Metadata(pod), "Normal", "TaintManagerEviction", $"Marking for deletion Pod {key}");
        await DisruptionTarget.MarkAsync(client, pod.Namespace, pod.Name, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint",
            time.GetUtcNow(), cancellationToken);
        var deleted = await client.DeleteAsync($"/api/v1/namespaces/{pod.Namespace}/pods/{pod.Name}",
            new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["preconditions"] = new JsonObject { ["uid"] = pod.Uid } }, cancellationToken);
        if (!deleted.IsConflict)
            deleted.ThrowIfFailed($"evicting pod {key}", goneIsFine: true);
        _counting.TryRemove(key, out _);
        return ReconcileResult.Done;
    }

    private static JsonObject Metadata(EvictionPod pod) => new() { ["namespace"] = pod.Namespace, ["name"] = pod.Name, ["uid"] = pod.Uid };

    private static partial class Log
    {
        [LoggerMessage(3600, LogLevel.Information, "Evicting pod {Pod} from node {Node}: it does not tolerate the node's NoExecute taints (any longer)")]
        public static partial void Evicting(ILogger logger, string pod, string node);
    }
}
