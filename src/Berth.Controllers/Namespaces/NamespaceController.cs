using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Namespaces;

/// <summary>
/// Empties namespaces that are being deleted: deletes every namespaced resource in them (custom ones included),
/// reports progress in the namespace's status conditions as upstream does, and once nothing is left removes the
/// <c>kubernetes</c> finalizer through the finalize subresource, which lets the API server delete the namespace.
/// </summary>
public sealed partial class NamespaceController
{
    private const string Finalizer = "kubernetes";
    private static readonly TimeSpan ContentPoll = TimeSpan.FromSeconds(2);

    private readonly ApiClient _client;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public NamespaceController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<NamespaceController>();
        _time = time;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var namespaces = new ApiResource("", "v1", "Namespace", "namespaces", false, ["list", "watch"]);
        var informer = new Informer<NamespaceState>(_client, namespaces, NamespaceState.Read, _loggerFactory.CreateLogger<Informer<NamespaceState>>());
        using var queue = new WorkQueue<string>(_time);
        informer.OnChange((_, now) =>
        {
            if (now is { Deleting: true } ns)
                queue.Add(ns.Name);
        });
        var running = informer.RunAsync(cancellationToken);
        await queue.RunAsync(2, ReconcileAsync, _logger, cancellationToken);
        await running;
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        var found = await _client.GetAsync($"/api/v1/namespaces/{name}", cancellationToken);
        if (found.IsNotFound)
            return ReconcileResult.Done;
        found.ThrowIfFailed($"reading namespace {name}");
        var ns = found.Body!.AsObject();
        var finalizers = (ns["spec"]?["finalizers"] as JsonArray ?? []).Select(f => f!.GetValue<string>()).ToList();
        if (ns["metadata"]?["deletionTimestamp"] is null || !finalizers.Contains(Finalizer))
            return ReconcileResult.Done;

        var resources = (await ResourceDiscovery.DiscoverAsync(_client, cancellationToken))
            .Where(r => r.Namespaced && r.Supports("list") && (r.Supports("deletecollection") || r.Supports("delete")))
            .ToList();
        var failures = new List<string>();
        foreach (var resource in resources)
            await DeleteContentAsync(resource, name, failures, cancellationToken);
        var (remaining, finalizersLeft) = await CountContentAsync(resources, name, cancellationToken);

        await ReportAsync(ns, failures, remaining, finalizersLeft, cancellationToken);
        if (remaining.Count > 0 || failures.Count > 0)
            return ReconcileResult.After(ContentPoll);

        finalizers.Remove(Finalizer);
        var finalized = ns.DeepClone().AsObject();
        finalized["spec"]!["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)f)]);
        (await _client.PutAsync($"/api/v1/namespaces/{name}/finalize", finalized, cancellationToken)).ThrowIfFailed($"finalizing namespace {name}");
        Log.Emptied(_logger, name);
        return ReconcileResult.Done;
    }

    /// <summary>Deletes everything of one resource in the namespace: one deletecollection, or one delete per object.</summary>
    private async Task DeleteContentAsync(ApiResource resource, string ns, List<string> failures, CancellationToken cancellationToken)
    {
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = "Background" };
        if (resource.Supports("deletecollection"))
        {
            var deleted = await _client.DeleteAsync(resource.CollectionPath(ns), options, cancellationToken);
            if (!deleted.Succeeded && !deleted.IsNotFound)
                failures.Add($"{resource}: {deleted.Message}");
            return;
        }
        foreach (var item in await ListAsync(resource, ns, cancellationToken))
        {
            var deleted = await _client.DeleteAsync(resource.ObjectPath(ns, item["metadata"]!["name"]!.GetValue<string>()), options, cancellationToken);
            if (!deleted.Succeeded && !deleted.IsNotFound)
                failures.Add($"{resource}: {deleted.Message}");
        }
    }

    /// <summary>What is still there (objects being finalized, pods being stopped): counts per resource and per finalizer.</summary>
    private async Task<(SortedDictionary<string, int> Remaining, SortedDictionary<string, int> Finalizers)> CountContentAsync(
        List<ApiResource> resources, string ns, CancellationToken cancellationToken)
    {
        var remaining = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var finalizers = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            var items = await ListAsync(resource, ns, cancellationToken);
            if (items.Count == 0)
                continue;
            remaining[$"{resource.Plural}.{resource.Group}"] = items.Count;
            foreach (var finalizer in items.SelectMany(i => i["metadata"]?["finalizers"] as JsonArray ?? []))
            {
                var text = finalizer!.GetValue<string>();
                finalizers[text] = finalizers.GetValueOrDefault(text) + 1;
            }
        }
        return (remaining, finalizers);
    }

    private async Task<List<JsonNode>> ListAsync(ApiResource resource, string ns, CancellationToken cancellationToken)
    {
        var list = await _client.GetAsync(resource.CollectionPath(ns), cancellationToken);
        if (list.IsNotFound)
            return [];
        list.ThrowIfFailed($"listing {resource} in {ns}");
        return [.. (list.Body!["items"] as JsonArray ?? []).OfType<JsonNode>()];
    }

    /// <summary>Writes the deletion conditions (upstream's types, reasons and messages) when they changed.</summary>
    private async Task ReportAsync(JsonObject ns, List<string> failures, SortedDictionary<string, int> remaining,
        SortedDictionary<string, int> finalizers, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var conditions = new (string Type, bool Status, string Reason, string Message)[]
        {
            ("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
            ("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            failures.Count == 0
                ? ("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
                : ("NamespaceDeletionContentFailure", true, "ContentDeletionFailed", "Failed to delete all resource types, " + failures.Count + " remaining: " + string.Join(", ", failures)),
            remaining.Count == 0
                ? ("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed")
                : ("NamespaceContentRemaining", true, "SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", remaining.Select(r => $"{r.Key} has {r.Value} resource instances"))),
            finalizers.Count == 0
                ? ("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished")
                : ("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + string.Join(", ", finalizers.Select(f => $"{f.Key} in {f.Value} resource instances"))),
        };

        var existing = ns["status"]?["conditions"] as JsonArray ?? [];
        var updated = new JsonArray();
        var changed = false;
        foreach (var (type, status, reason, message) in conditions)
        {
            var old = existing.FirstOrDefault(c => c?["type"]?.GetValue<string>() == type);
            var statusText = status ? "True" : "False";
            var same = old?["status"]?.GetValue<string>() == statusText && old["reason"]?.GetValue<string>() == reason && old["message"]?.GetValue<string>() == message;
            changed |= !same;
            updated.Add((JsonNode)new JsonObject
            {
                ["type"] = type,
                ["status"] = statusText,
                ["lastTransitionTime"] = same ? old!["lastTransitionTime"]?.DeepClone() : now,
                ["reason"] = reason,
                ["message"] = message,
            });
        }
        if (!changed)
            return;
        var withStatus = ns.DeepClone().AsObject();
        var statusObject = withStatus["status"] as JsonObject ?? (JsonObject)(withStatus["status"] = new JsonObject());
        statusObject["conditions"] = updated;
        var written = await _client.PutAsync($"/api/v1/namespaces/{ns["metadata"]!["name"]!.GetValue<string>()}/status", withStatus, cancellationToken);
        written.ThrowIfFailed("updating the conditions of a terminating namespace");
        // The finalize call that may follow must carry the new resourceVersion.
        ns["metadata"]!["resourceVersion"] = written.Body!["metadata"]!["resourceVersion"]!.DeepClone();
    }

    private static partial class Log
    {
        [LoggerMessage(3250, LogLevel.Information, "Namespace {Namespace} is empty; removing its kubernetes finalizer")]
        public static partial void Emptied(ILogger logger, string @namespace);
    }
}
