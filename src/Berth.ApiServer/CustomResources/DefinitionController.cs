using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.Extensions.Logging;
using Berth.Core.Serialization;

namespace Berth.ApiServer.CustomResources;

/// <summary>
/// Serves what CustomResourceDefinitions define, as they are written: follows the definitions in the store, puts
/// their resources into the served table (names another resource already uses are refused), reports the upstream
/// conditions (NamesAccepted, Established, Terminating), and when a definition is deleted deletes its objects before
/// letting the definition go.
/// </summary>
internal sealed partial class DefinitionController(IStore store, ServedResources served, ILogger logger, TimeProvider time)
{
    private static readonly ResourceInfo Definitions = ResourceTable.BuiltIn.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;

    /// <summary>How long a deleted definition waits before looking again at objects whose finalizers hold them.</summary>
    private static readonly TimeSpan CleanupRetry = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, Task> _cleanups = new(StringComparer.Ordinal);

    /// <summary>Completes once the definitions stored at start are served.</summary>
    public Task Synced => _synced.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var list = await store.ListAsync(Definitions.StoragePrefix, ListOptions.All, cancellationToken);
                var definitions = list.Items.ToDictionary(kv => kv.Key, kv => kv, StringComparer.Ordinal);
                await ReconcileAsync(definitions, cancellationToken);
                _synced.TrySetResult();
                await foreach (var response in store.WatchAsync(Definitions.StoragePrefix, list.Revision, cancellationToken))
                {
                    if (response.IsCompacted)
                        break;
                    if (response.IsProgress)
                        continue;
                    foreach (var change in response.Events)
                    {
                        if (change.Type == WatchEventType.Delete)
                            definitions.Remove(change.Kv.Key);
                        else
                            definitions[change.Kv.Key] = change.Kv;
                    }
                    await ReconcileAsync(definitions, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.DefinitionsFailed(logger, e);
                await Task.Delay(CleanupRetry, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ReconcileAsync(Dictionary<string, KeyValue> definitions, CancellationToken cancellationToken)
    {
        var taken = ResourceTable.BuiltIn.All.Select(r => (r.Group, r.Plural)).ToHashSet();
        var resources = new List<ResourceInfo>();
        var outcomes = new List<(KeyValue Stored, JsonObject Definition, List<ResourceInfo> Resources, string? Conflict)>();
        foreach (var stored in definitions.Values.OrderBy(kv => kv.CreateRevision))
        {
            var definition = ObjectJson.FromStored(stored.Value.Span, stored.ModRevision);
            var defined = DefinitionResources.Of(definition).ToList();
            var clash = defined.Select(r => (r.Group, r.Plural)).FirstOrDefault(taken.Contains);
            var conflict = clash.Plural is { } plural ? $"\"{plural}\" is already in use" : null;
            if (conflict is null)
            {
                resources.AddRange(defined);
                taken.UnionWith(defined.Select(r => (r.Group, r.Plural)));
            }
            outcomes.Add((stored, definition, defined, conflict));
        }
        served.ServeCustom(resources);

        foreach (var (stored, definition, defined, conflict) in outcomes)
        {
            await ReportStatusAsync(stored, definition, conflict, cancellationToken);
            if (ObjectJson.Metadata(definition)["deletionTimestamp"] is not null && defined.Count > 0)
                _ = _cleanups.GetOrAdd(stored.Key, key => Task.Run(() => CleanupAsync(key, defined[0], cancellationToken), cancellationToken));
        }
    }

    /// <summary>Writes the conditions, accepted names and stored versions the definition should show, if they differ.</summary>
    private async Task ReportStatusAsync(KeyValue stored, JsonObject definition, string? conflict, CancellationToken cancellationToken)
    {
        var status = definition["status"] as JsonObject ?? [];
        var desired = DefinitionStatus.For(definition, status, conflict, WireTime.Time(time.GetUtcNow()));
        if (JsonNode.DeepEquals(desired, status))
            return;
        var updated = definition.DeepClone().AsObject();
        updated["status"] = desired;
        // A conflict means someone else wrote first; their write comes back through the watch and is looked at again.
        await store.UpdateAsync(stored.Key, ObjectJson.ToStored(updated), stored.ModRevision, 0, cancellationToken);
    }

    /// <summary>
    /// Deletes every object of a deleted definition (objects with finalizers are marked deleted and waited for), then
    /// removes the cleanup finalizer, which lets the definition itself go.
    /// </summary>
    private async Task CleanupAsync(string definitionKey, ResourceInfo resource, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var objects = await store.ListAsync(resource.StoragePrefix, ListOptions.All, cancellationToken);
                var remaining = 0;
                foreach (var kv in objects.Items)
                {
                    var obj = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
                    if (ObjectJson.Finalizers(obj).Count == 0)
                    {
                        await store.DeleteAsync(kv.Key, kv.ModRevision, cancellationToken);
                        continue;
                    }
                    remaining++;
                    if (ObjectJson.Metadata(obj)["deletionTimestamp"] is null)
                    {
                        ObjectJson.Metadata(obj)["deletionTimestamp"] = WireTime.Time(time.GetUtcNow());
                        ObjectJson.Metadata(obj)["deletionGracePeriodSeconds"] = 0;
                        await store.UpdateAsync(kv.Key, ObjectJson.ToStored(obj), kv.ModRevision, 0, cancellationToken);
                    }
                }
                if (remaining == 0 && objects.Items.Count == 0)
                {
                    await ReleaseAsync(definitionKey, cancellationToken);
                    return;
                }
                if (remaining > 0)
                    await Task.Delay(CleanupRetry, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _cleanups.TryRemove(definitionKey, out _);
        }
    }

    /// <summary>Removes the cleanup finalizer; the definition is deleted when no finalizer is left.</summary>
    private async Task ReleaseAsync(string definitionKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await store.GetAsync(definitionKey, 0, cancellationToken);
            if (current.Kv is not { } kv)
                return;
            var definition = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
            var finalizers = ObjectJson.Finalizers(definition).Where(f => f != DefinitionResources.CleanupFinalizer).ToList();
            var result = finalizers.Count == 0
                ? await store.DeleteAsync(definitionKey, kv.ModRevision, cancellationToken)
                : await store.UpdateAsync(definitionKey, Without(definition, finalizers), kv.ModRevision, 0, cancellationToken);
            if (result.Status != WriteStatus.Conflict)
                return;
        }
    }

    private static byte[] Without(JsonObject definition, List<string> finalizers)
    {
        ObjectJson.SetFinalizers(definition, finalizers);
        return ObjectJson.ToStored(definition);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2300, Level = LogLevel.Warning, Message = "Following CustomResourceDefinitions failed; starting again")]
        public static partial void DefinitionsFailed(ILogger logger, Exception exception);
    }
}
