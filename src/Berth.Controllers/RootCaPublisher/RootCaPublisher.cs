using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Controllers.Namespaces;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.RootCaPublisher;

/// <summary>
/// Keeps the <c>kube-root-ca.crt</c> ConfigMap in every namespace that is not being deleted, holding the cluster CA
/// (<c>ca.crt</c>) that software in pods verifies the API server with, as upstream's root-ca-cert-publisher does:
/// made with the namespace, made again if deleted, and put right if its CA is changed.
/// </summary>
public sealed class RootCaPublisher(ApiClient client, string caPem, ILoggerFactory loggerFactory, TimeProvider time)
{
    public const string Name = "kube-root-ca.crt";

    private const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as "
        + "the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private static readonly ApiResource Namespaces = new("", "v1", "Namespace", "namespaces", false, ["list", "watch"]);
    private static readonly ApiResource ConfigMaps = new("", "v1", "ConfigMap", "configmaps", true, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<RootCaPublisher>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var namespaces = new Informer<NamespaceState>(client, Namespaces, NamespaceState.Read, loggerFactory.CreateLogger<Informer<NamespaceState>>());
        var published = new Informer<Published>(client, ConfigMaps, Published.Read, loggerFactory.CreateLogger<Informer<Published>>(), $"metadata.name={Name}");
        using var queue = new WorkQueue<string>(time);
        namespaces.OnChange((_, now) =>
        {
            if (now is { Deleting: false } ns)
                queue.Add(ns.Name);
        });
        published.OnChange((old, now) =>
        {
            if (now is null || now.Ca != caPem)
                queue.Add((now ?? old)!.Namespace);
        });
        var watching = Task.WhenAll(namespaces.RunAsync(cancellationToken), published.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(namespaces.Synced, published.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(2, (ns, ct) => EnsureAsync(namespaces, published, ns, ct), _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> EnsureAsync(Informer<NamespaceState> namespaces, Informer<Published> published, string ns, CancellationToken cancellationToken)
    {
        if (namespaces.Get(null, ns) is not { Deleting: false })
            return ReconcileResult.Done;
        var current = published.Get(ns, Name);
        if (current?.Ca == caPem)
            return ReconcileResult.Done;
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        if (current is null)
        {
            var created = await client.SendAsync(HttpMethod.Post, path, ConfigMap(ns), cancellationToken);
            // 409: made meanwhile (the informer will say); 403 or 404: the namespace is going away.
            if (!created.IsConflict && created.Code is not (403 or 404))
                created.ThrowIfFailed($"publishing the root CA in {ns}");
            return ReconcileResult.Done;
        }
        var patch = new JsonObject { ["data"] = new JsonObject { ["ca.crt"] = caPem } };
        var patched = await client.MergePatchAsync($"{path}/{Name}", patch, cancellationToken);
        if (patched.Code is not (403 or 404))
            patched.ThrowIfFailed($"putting the root CA right in {ns}");
        return ReconcileResult.Done;
    }

    private JsonObject ConfigMap(string ns) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject
        {
            ["name"] = Name,
            ["namespace"] = ns,
            ["annotations"] = new JsonObject { ["kubernetes.io/description"] = Description },
        },
        ["data"] = new JsonObject { ["ca.crt"] = caPem },
    };

    /// <summary>What a namespace's published ConfigMap says: its namespace and CA.</summary>
    private sealed record Published(string Namespace, string? Ca)
    {
        public static Published Read(JsonElement configMap) => new(
            configMap.GetProperty("metadata").GetProperty("namespace").GetString()!,
            configMap.TryGetProperty("data", out var data) && data.TryGetProperty("ca.crt", out var ca) ? ca.GetString() : null);
    }
}
