using System.Text.Json.Nodes;
using Berth.ApiServer.Proxy;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private static readonly ResourceInfo Nodes = ResourceTable.BuiltIn.Find("", "v1", "nodes")!;

    /// <summary>The PodLogOptions the agent takes, passed on as they came.</summary>
    private static readonly string[] LogOptions = ["follow", "previous", "tailLines", "sinceSeconds", "sinceTime", "timestamps", "limitBytes"];

    /// <summary>
    /// <c>pods/{name}/log</c>: a container's log from the agent of the pod's node, streamed as it comes (with
    /// <c>follow</c>, until the container stops or the client leaves). Which container, and why there is no log, in
    /// upstream's words.
    /// </summary>
    private async Task LogAsync(HttpContext context, RequestTarget target)
    {
        if (target.Resource.Group.Length != 0 || target.Resource.Plural != "pods")
            throw new ApiException(ApiStatus.NoSuchPath());
        var (pod, _) = await GetCurrentAsync(target, context.RequestAborted);
        var name = target.Name!;
        var container = ContainerFor(pod, name, context.Request.Query["container"] is [{ Length: > 0 } asked] ? asked : null);
        var agent = AgentOf(pod, name);

        var path = $"containerLogs/{Uri.EscapeDataString(target.Namespace!)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}?"
            + string.Join('&', LogOptions.Where(o => context.Request.Query[o] is [{ Length: > 0 }])
                .Select(o => $"{o}={Uri.EscapeDataString(context.Request.Query[o][0]!)}"));
        HttpResponseMessage answer;
        try
        {
            answer = await agents.GetAsync(agent, path, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(new ApiStatus(503, "ServiceUnavailable", $"Get \"{new Uri(agent, path)}\": {e.Message}"));
        }
        using (answer)
        {
            if (!answer.IsSuccessStatusCode)
            {
                var why = await answer.Content.ReadAsStringAsync(context.RequestAborted);
                throw new ApiException(new ApiStatus((int)answer.StatusCode, (int)answer.StatusCode == 404 ? "NotFound" : "BadRequest", why));
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain";
            await using var body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client left (kubectl logs -f ended with Ctrl+C).
            }
        }
    }

    /// <summary>The agent of the node the pod is bound to; upstream's 400s when there is none to ask.</summary>
    private Uri AgentOf(JsonObject pod, string name)
    {
        if (pod["spec"]?["nodeName"]?.ToString() is not { Length: > 0 } nodeName)
            throw new ApiException(ApiStatus.BadRequest($"pod {name} does not have a host assigned"));
        var node = caches.For(Nodes).Get(Nodes.StorageKey(null, nodeName))?.Parse()
            ?? throw new ApiException(ApiStatus.BadRequest($"node {nodeName} of pod {name} does not exist"));
        return NodeAgents.AddressOf(node) ?? throw new ApiException(ApiStatus.BadRequest($"node {nodeName} reports no address to reach its agent at"));
    }

    /// <summary>The container a log, exec or attach request is for: the one named, or the pod's only one.</summary>
    private static string ContainerFor(JsonObject pod, string podName, string? asked)
    {
        static List<string> Names(JsonNode? list) => (list as JsonArray ?? []).Select(c => c?["name"]?.ToString()).OfType<string>().ToList();
        var containers = Names(pod["spec"]?["containers"]);
        var init = Names(pod["spec"]?["initContainers"]);
        if (asked is null)
        {
            if (containers.Count == 1 && init.Count == 0)
                return containers[0];
            var message = $"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', containers)}]";
            if (init.Count > 0)
                message += $" or one of the init containers: [{string.Join(' ', init)}]";
            throw new ApiException(ApiStatus.BadRequest(message));
        }
        return containers.Contains(asked) || init.Contains(asked) ? asked : throw new ApiException(ApiStatus.BadRequest($"container {asked} is not valid for pod {podName}"));
    }
}
