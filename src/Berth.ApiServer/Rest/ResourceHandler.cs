using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Admission;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Observability;
using Berth.ApiServer.Printing;
using Berth.ApiServer.Proxy;
using Berth.ApiServer.Security;
using Berth.ApiServer.Services;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.AspNetCore.Http;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

/// <summary>
/// The REST verbs over every resource in the table, on objects kept as JSON in the store. Split by verb:
/// this file dispatches and holds what the verbs share; <c>ResourceHandler.{Create,Read,Update,Patch,Delete,Watch}.cs</c>
/// hold the verbs, <c>ResourceHandler.Subresources.cs</c> scale, binding, eviction and token, and
/// <c>ResourceHandler.Log.cs</c> pods' logs from their nodes' agents, <c>ResourceHandler.Streams.cs</c> exec, attach
/// and port-forward through them, and <c>ResourceHandler.Metrics.cs</c> the metrics API from their usage.
/// </summary>
internal sealed partial class ResourceHandler(
    IStore store, WatchCaches caches, ServedResources served, Printers printers, ServiceAccountTokens serviceAccountTokens, NodeAgents agents, ApiServerOptions options,
    ServiceAllocations allocations, RequestMetrics metrics, TimeProvider time)
{
    private static readonly ResourceInfo Namespaces = ResourceTable.BuiltIn.Find("", "v1", "namespaces")!;

    private readonly EventLeases _eventLeases = new(store, options.EventTtl, time);
    private readonly PriorityAdmission _priorityAdmission = new(store, caches);
    private readonly ServiceAccountAdmission _serviceAccountAdmission = new(store, caches);

    public async Task HandleAsync(HttpContext context)
    {
        var target = RequestTarget.Parse(context.Request.Path.Value ?? "/", served.Table);
        var method = context.Request.Method;
        var query = context.Request.Query;
        var dryRun = query["dryRun"].Contains("All");
        context.Features.Set(new RequestLabels(MetricVerb(method, target, query), target.Resource.Group, target.Resource.Plural, target.Subresource ?? ""));
        if (context.Features.Get<UserInfo>() is { } user)
        {
            var verb = BootstrapAuthorizer.Verb(method, target.Name is not null, query["watch"] is ["true"] or ["1"]);
            if (BootstrapAuthorizer.ForbidsResource(user, verb, target.Resource, target.Subresource, target.Namespace, target.Name) is { } forbidden)
                throw new ApiException(forbidden);
        }

        if (!target.Resource.Stored)
        {
            await MetricsAsync(context, target);
            return;
        }
        switch (method, target.Name, target.Subresource)
        {
            case ("GET", null, _) when query["watch"] is ["true"] or ["1"]:
                await WatchAsync(context, target);
                break;
            case ("GET", null, _):
                await ListAsync(context, target);
                break;
            case ("POST", null, _) when target.Namespace is not null || !target.Resource.Namespaced:
                await CreateAsync(context, target, dryRun);
                break;
            case ("GET" or "PUT" or "PATCH", not null, "scale"):
                await ScaleAsync(context, target, dryRun);
                break;
            case ("POST", not null, "binding"):
                await BindAsync(context, target, dryRun);
                break;
            case ("POST", not null, "token"):
                await IssueTokenAsync(context, target);
                break;
            case ("GET", not null, "log"):
                await LogAsync(context, target);
                break;
            case ("GET" or "POST", not null, "exec" or "attach" or "portforward"):
                await StreamAsync(context, target);
                break;
            case ("POST", not null, "eviction"):
                await EvictAsync(context, target);
                break;
            case ("GET", not null, null or "status" or "approval"):
                await GetAsync(context, target);
                break;
            case ("PUT", not null, null or "status" or "approval" or "finalize"):
                await UpdateAsync(context, target, dryRun);
                break;
            case ("PATCH", not null, null or "status" or "approval"):
                await PatchAsync(context, target, dryRun);
                break;
            case ("DELETE", not null, null):
                await DeleteAsync(context, target);
                break;
            case ("DELETE", null, null):
                await DeleteCollectionAsync(context, target);
                break;
            default:
                throw new ApiException(ApiStatus.MethodNotAllowed(method));
        }
    }

    /// <summary>The verb as upstream's request metrics name it (LIST and WATCH are GETs of a collection).</summary>
    private static string MetricVerb(string method, RequestTarget target, IQueryCollection query) => (method, target.Name) switch
    {
        ("GET", null) when query["watch"] is ["true"] or ["1"] => "WATCH",
        ("GET", null) => "LIST",
        ("DELETE", null) => "DELETECOLLECTION",
        _ => method,
    };

    /// <summary>Reads the current object; 404 in upstream's words when it does not exist.</summary>
    private async Task<(JsonObject Object, long ModRevision)> GetCurrentAsync(RequestTarget target, CancellationToken cancellationToken)
    {
        var result = await store.GetAsync(target.Resource.StorageKey(target.Namespace, target.Name!), 0, cancellationToken);
        if (result.Kv is not { } kv)
            throw new ApiException(ApiStatus.NotFound(target.Resource, target.Name!));
        return (Stored(target.Resource, kv), kv.ModRevision);
    }

    /// <summary>A stored object as its resource serves it (a custom resource in the requested version).</summary>
    private static JsonObject Stored(ResourceInfo resource, KeyValue kv)
    {
        var obj = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision);
        if (resource.Custom is not null)
            obj["apiVersion"] = resource.GroupVersion;
        return obj;
    }

    /// <summary>
    /// New objects may go only into namespaces that exist and are not being deleted. The namespace cache answers;
    /// the store is asked only when the cache does not know the namespace yet.
    /// </summary>
    private async Task RequireNamespaceAsync(string ns, CancellationToken cancellationToken)
    {
        var key = Namespaces.StorageKey(null, ns);
        string? phase;
        // The watch cache has the phase among a namespace's selectable fields: no need to parse the namespace.
        if (caches.For(Namespaces).Get(key) is { } cached)
        {
            phase = cached.Fields.GetValueOrDefault("status.phase");
        }
        else
        {
            var result = await store.GetAsync(key, 0, cancellationToken);
            if (result.Kv is not { } kv)
                throw new ApiException(ApiStatus.NotFound(Namespaces, ns));
            phase = ObjectJson.FromStored(kv.Value.Span, kv.ModRevision)["status"]?["phase"]?.GetValue<string>();
        }
        // As upstream's NamespaceLifecycle admission: the phase says it, which a delete sets at once.
        if (phase == "Terminating")
        {
            throw new ApiException(new ApiStatus(403, "Forbidden",
                $"unable to create new content in namespace {ns} because it is being terminated", ns, "", "namespaces"));
        }
    }

    /// <summary>The apiVersion and kind in a body must be this resource's (they are filled in when absent).</summary>
    private static void CheckTypeMeta(JsonObject obj, ResourceInfo resource)
    {
        ObjectShape.Check(resource, obj);
        var apiVersion = ObjectJson.GetString(obj, "apiVersion");
        var kind = ObjectJson.GetString(obj, "kind");
        if (apiVersion is not null && apiVersion != resource.GroupVersion)
            throw new ApiException(ApiStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.GroupVersion})"));
        if (kind is not null && kind != resource.Kind)
            throw new ApiException(ApiStatus.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind})"));
        obj["apiVersion"] = resource.GroupVersion;
        obj["kind"] = resource.Kind;
    }

    private static long ParseResourceVersion(string? text, string what)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision >= 0)
            return revision;
        throw new ApiException(ApiStatus.BadRequest($"invalid {what} \"{text}\": must be a non-negative integer"));
    }

    private string Now() => WireTime.Time(time.GetUtcNow());

    /// <summary>The store lease a write of this resource attaches: events expire, nothing else does.</summary>
    private async Task<long> LeaseForAsync(ResourceInfo resource, CancellationToken cancellationToken) =>
        resource.Plural == "events" ? await _eventLeases.CurrentAsync(cancellationToken) : 0;

    private static bool WantsTable(HttpContext context) => Printers.WantsTable(context.Request.Headers.Accept.ToString());

    private long BodyLimit => options.MaxRequestBodyBytes;
}
