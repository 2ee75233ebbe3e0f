using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Controllers.Pods;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.PodGc;

/// <summary>
/// Upstream's pod garbage collector, every <see cref="PodGcOptions.Period"/>: deletes the oldest finished pods above
/// the threshold; fails and force-deletes pods bound to a node that has been missing for the quarantine (their
/// agent is gone, so nobody else would), with the <c>DisruptionTarget</c> condition saying why; and force-deletes
/// pods being deleted that never got a node.
/// </summary>
public sealed partial class PodGarbageCollector(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time, PodGcOptions? options = null)
{
    private static readonly ApiResource Pods = new("", "v1", "Pod", "pods", true, ["list", "watch"]);
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", false, ["list", "watch"]);

    private readonly PodGcOptions _options = options ?? PodGcOptions.Default;
    private readonly ILogger _logger = loggerFactory.CreateLogger<PodGarbageCollector>();

    /// <summary>Nodes that pods are bound to but that were not there, and since when.</summary>
    private readonly Dictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pods = new Informer<GcPod>(client, Pods, GcPod.Read, loggerFactory.CreateLogger<Informer<GcPod>>());
        var nodes = new Informer<string>(client, Nodes, n => n.GetProperty("metadata").GetProperty("name").GetString()!, loggerFactory.CreateLogger<Informer<string>>());
        var watching = Task.WhenAll(pods.RunAsync(cancellationToken), nodes.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(pods.Synced, nodes.Synced).WaitAsync(cancellationToken);
            using var timer = new PeriodicTimer(_options.Period, time);
            do
            {
                var all = pods.Items();
                await DeleteFinishedAsync(all, cancellationToken);
                await DeleteOrphansAsync(all, nodes, cancellationToken);
                foreach (var pod in all.Where(p => p.Deleting && p.NodeName.Length == 0))
                    await ForceDeleteAsync(pod, cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
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

    private async Task DeleteFinishedAsync(List<GcPod> all, CancellationToken cancellationToken)
    {
        var finished = all.Where(p => p.Finished && !p.Deleting).ToList();
        var surplus = finished.Count - _options.TerminatedThreshold;
        if (_options.TerminatedThreshold <= 0 || surplus <= 0)
            return;
        foreach (var pod in finished.OrderBy(p => p.Created, StringComparer.Ordinal).Take(surplus))
        {
            Log.DeletingFinished(_logger, pod.Namespace, pod.Name);
            await ForceDeleteAsync(pod, cancellationToken);
        }
    }

    /// <summary>Pods on nodes missing for the whole quarantine, checked once more with the API before they go.</summary>
    private async Task DeleteOrphansAsync(List<GcPod> all, Informer<string> nodes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var missing = all.Where(p => p.NodeName.Length > 0 && nodes.Get(null, p.NodeName) is null).Select(p => p.NodeName).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _missingSince.Keys.Where(n => !missing.Contains(n)).ToList())
            _missingSince.Remove(gone);
        foreach (var node in missing)
        {
            if (!_missingSince.TryGetValue(node, out var since))
            {
                _missingSince[node] = now;
                continue;
            }
            if (now - since < _options.Quarantine || !(await client.GetAsync($"/api/v1/nodes/{node}", cancellationToken)).IsNotFound)
                continue;
            foreach (var pod in all.Where(p => p.NodeName == node))
            {
                Log.DeletingOrphan(_logger, pod.Namespace, pod.Name, node);
                if (!pod.Finished)
                {
                    await DisruptionTarget.MarkAsync(client, pod.Namespace, pod.Name, "DeletionByPodGC", "PodGC: node no longer exists", time.GetUtcNow(),
                        cancellationToken, phase: "Failed");
                }
                await ForceDeleteAsync(pod, cancellationToken);
            }
            _missingSince.Remove(node);
        }
    }

    /// <summary>Deletes at once (grace period 0), for this pod only (its uid as precondition).</summary>
    private async Task ForceDeleteAsync(GcPod pod, CancellationToken cancellationToken)
    {
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["gracePeriodSeconds"] = 0,
            ["preconditions"] = new JsonObject { ["uid"] = pod.Uid },
        };
        var deleted = await client.DeleteAsync($"/api/v1/namespaces/{pod.Namespace}/pods/{pod.Name}", options, cancellationToken);
        if (!deleted.IsConflict)
            deleted.ThrowIfFailed($"deleting pod {pod.Namespace}/{pod.Name}", goneIsFine: true);
    }

    private static partial class Log
    {
        [LoggerMessage(3400, LogLevel.Information, "Deleting finished pod {Namespace}/{Name}: more finished pods than the threshold")]
        public static partial void DeletingFinished(ILogger logger, string @namespace, string name);

        [LoggerMessage(3401, LogLevel.Information, "Deleting pod {Namespace}/{Name}: its node {Node} no longer exists")]
        public static partial void DeletingOrphan(ILogger logger, string @namespace, string name, string node);
    }
}
