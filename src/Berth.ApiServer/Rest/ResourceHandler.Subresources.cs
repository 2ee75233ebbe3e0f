using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Core.Selectors;
using Microsoft.AspNetCore.Http;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private static readonly string[] ScaleMetadata = ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"];

    private static readonly ResourceInfo PodDisruptionBudgets = ResourceTable.BuiltIn.Find("policy", "v1", "poddisruptionbudgets")!;

    /// <summary>
    /// <c>scale</c>: the workload seen as an autoscaling/v1 Scale (spec.replicas, status.replicas, the selector as
    /// text). GET reads it; PUT and PATCH change the workload's spec.replicas through the ordinary update path.
    /// </summary>
    private async Task ScaleAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var (current, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
        var scale = ToScale(target.Resource, current);
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, scale);
            return;
        }

        JsonObject desired;
        if (HttpMethods.IsPut(context.Request.Method))
        {
            desired = await RequestBody.ReadObjectAsync(context, BodyLimit);
        }
        else
        {
            var (mediaType, patch) = await ReadPatchAsync(context, target);
            desired = ApplyPatch(target, scale, mediaType, patch);
        }
        var expected = ParseResourceVersion(ObjectJson.GetString(ObjectJson.Metadata(desired), "resourceVersion"), "metadata.resourceVersion");
        if (expected != 0 && expected != modRevision)
            throw new ApiException(ApiStatus.StaleResourceVersion(target.Resource, target.Name!));
        if (desired["spec"]?["replicas"] is not JsonValue replicas || !replicas.TryGetValue<long>(out var count) || count < 0)
        {
            throw new ApiException(ApiStatus.Invalid(target.Resource, target.Name!,
                [new StatusCause("FieldValueInvalid", "Invalid value: must be greater than or equal to 0", "spec.replicas")]));
        }

        var updated = current.DeepClone().AsObject();
        ScalePaths.Set(updated, ScalePaths.Of(target.Resource).SpecReplicas, count);
        var saved = await SaveAsync(target with { Subresource = null }, current, modRevision, updated, dryRun,
            UpdaterOf(context, "scale", HttpMethods.IsPut(context.Request.Method) ? "UpdateOptions" : "PatchOptions"), context.RequestAborted);
        await ApiResponse.WriteAsync(context, StatusCodes.Status200OK, ToScale(target.Resource, saved.Object));
    }

    /// <summary><c>pods/{name}/binding</c>: the scheduler assigns a pod to a node, once.</summary>
    private async Task BindAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var binding = await RequestBody.ReadObjectAsync(context, BodyLimit);
        var node = binding["target"]?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(node))
        {
            throw new ApiException(ApiStatus.Invalid(target.Resource, target.Name!,
                [new StatusCause("FieldValueRequired", "Required value", "target.name")]));
        }
        var (current, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
        if (ObjectJson.Metadata(current)["deletionTimestamp"] is not null)
            throw new ApiException(ApiStatus.Conflict(target.Resource, target.Name!, "pod is being deleted, cannot be assigned to a host"));
        if (current["spec"]?["nodeName"] is JsonValue assigned && assigned.GetValue<string>() is { Length: > 0 } existing)
            throw new ApiException(ApiStatus.Conflict(target.Resource, target.Name!, $"pod {target.Name} is already assigned to node \"{existing}\""));

        var updated = current.DeepClone().AsObject();
        (updated["spec"] as JsonObject ?? (JsonObject)(updated["spec"] = new JsonObject()))["nodeName"] = node;
        var status = updated["status"] as JsonObject ?? (JsonObject)(updated["status"] = new JsonObject());
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        foreach (var old in conditions.Where(c => c?["type"]?.GetValue<string>() == "PodScheduled").ToList())
            conditions.Remove(old);
        conditions.Add((JsonNode)new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = Now() });
        // Through the binding subresource: the pod update rules, which forbid setting spec.nodeName, do not apply.
        await SaveAsync(target, current, modRevision, updated, dryRun, updater: null, context.RequestAborted);
        await ApiResponse.WriteAsync(context, StatusCodes.Status201Created, Success(201));
    }

    /// <summary>
    /// <c>pods/{name}/eviction</c>: a polite delete that a PodDisruptionBudget can refuse (429), as <c>kubectl drain</c> uses it.
    /// </summary>
    private async Task EvictAsync(HttpContext context, RequestTarget target)
    {
        var eviction = await RequestBody.ReadObjectAsync(context, BodyLimit);
        var (pod, modRevision) = await GetCurrentAsync(target, context.RequestAborted);
        var labels = ObjectJson.Labels(pod);
        var budgetCache = caches.For(PodDisruptionBudgets);
        await budgetCache.WaitForRevisionAsync(await store.GetRevisionAsync(context.RequestAborted), context.RequestAborted);
        var (budgets, _) = budgetCache.Snapshot(PodDisruptionBudgets.StoragePrefixFor(target.Namespace));
        foreach (var budget in budgets.Select(b => b.Parse()))
        {
            var selector = LabelSelector.TryParse(SelectorText(budget["spec"]?["selector"]), out _);
            if (selector is null || selector.IsEverything || !selector.Matches(labels))
                continue;
            var allowed = budget["status"]?["disruptionsAllowed"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
            if (allowed < 1)
            {
                throw new ApiException(new ApiStatus(429, "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.", target.Name, "policy", "poddisruptionbudgets",
                    [new StatusCause("DisruptionBudget", $"The disruption budget {ObjectJson.Name(budget)} needs {budget["spec"]?["minAvailable"]} healthy pods and has {budget["status"]?["currentHealthy"] ?? 0} currently", "")],
                    RetryAfterSeconds: 10));
            }
        }
        var options = DeleteOptions.From(eviction["deleteOptions"] as JsonObject, context.Request.Query);
        CheckPreconditions(target, pod, modRevision, options);
        await MarkOrRemoveAsync(target, pod, modRevision, options, context.RequestAborted);
        await ApiResponse.WriteAsync(context, StatusCodes.Status201Created, Success(201));
    }

    /// <summary>
    /// <c>serviceaccounts/{name}/token</c>: a TokenRequest answered with a signed token for the account (an hour by
    /// default, ten minutes at least), as <c>kubectl create token</c> asks.
    /// </summary>
    private async Task IssueTokenAsync(HttpContext context, RequestTarget target)
    {
        var request = await RequestBody.ReadObjectAsync(context, BodyLimit);
        var (account, _) = await GetCurrentAsync(target, context.RequestAborted);
        var spec = request["spec"] as JsonObject ?? [];
        var seconds = spec["expirationSeconds"] is JsonValue e && e.TryGetValue<long>(out var requested) ? requested : 3600;
        if (seconds < 600)
        {
            throw new ApiException(ApiStatus.Invalid(target.Resource, target.Name!,
                [new StatusCause("FieldValueInvalid", "Invalid value: may not specify a duration less than 10 minutes", "spec.expirationSeconds")]));
        }
        var audiences = spec["audiences"] is JsonArray { Count: > 0 } a ? a.Select(x => x!.GetValue<string>()).ToList() : [Security.ServiceAccountTokens.Issuer];
        var uid = ObjectJson.GetString(ObjectJson.Metadata(account), "uid") ?? "";
        var (token, expires) = serviceAccountTokens.Issue(target.Namespace!, target.Name!, uid, audiences, TimeSpan.FromSeconds(seconds));

        spec["audiences"] = new JsonArray([.. audiences.Select(x => (JsonNode)JsonValue.Create(x))]);
        spec["expirationSeconds"] = seconds;
        await ApiResponse.WriteAsync(context, StatusCodes.Status201Created, new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = target.Name, ["namespace"] = target.Namespace, ["creationTimestamp"] = Now() },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = WireTime.Time(expires) },
        });
    }

    private static JsonObject ToScale(ResourceInfo resource, JsonObject workload)
    {
        var metadata = ObjectJson.Metadata(workload);
        var scaleMetadata = new JsonObject();
        foreach (var field in ScaleMetadata)
        {
            if (metadata[field] is { } value)
                scaleMetadata[field] = value.DeepClone();
        }
        var paths = ScalePaths.Of(resource);
        var replicas = ScalePaths.At(workload, paths.SpecReplicas) is JsonValue r && r.TryGetValue<long>(out var n) ? n : paths.DefaultReplicas;
        var selector = ScalePaths.At(workload, paths.Selector);
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMetadata,
            ["spec"] = new JsonObject { ["replicas"] = replicas },
            ["status"] = new JsonObject
            {
                ["replicas"] = ScalePaths.At(workload, paths.StatusReplicas) is JsonValue s && s.TryGetValue<long>(out var m) ? m : 0,
                ["selector"] = paths.SelectorIsText ? selector?.DeepClone() : SelectorText(selector),
            },
        };
    }

    /// <summary>A LabelSelector object as the text form selectors are written in (<c>app=web,tier in (a,b)</c>).</summary>
    private static string SelectorText(JsonNode? selector)
    {
        var text = Printing.Fields.Selector(selector);
        return text == Printing.Fields.None ? "" : text;
    }

    private static JsonObject Success(int code) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["code"] = code,
    };
}
