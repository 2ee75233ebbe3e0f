using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.DefaultBinder;

/// <summary>Binds a pod by creating its <c>pods/{name}/binding</c> subresource, which sets <c>spec.nodeName</c>.</summary>
public sealed class DefaultBinder(ApiClient? client) : IBindPlugin
{
    public string Name => nameof(DefaultBinder);

    public async Task<Status> BindAsync(CycleState state, PodInfo pod, string nodeName, CancellationToken cancellationToken)
    {
        var binding = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Binding",
            ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
            ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = nodeName },
        };
        if (client is null)
            return new Status(StatusCode.Error, ["the scheduler has no API connection"]);
        try
        {
            var bound = await client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{pod.Namespace}/pods/{pod.Name}/binding", binding, cancellationToken);
            return bound.Succeeded
                ? Status.Success
                : new Status(StatusCode.Error, [bound.Body?["message"]?.ToString() ?? bound.Code.ToString(CultureInfo.InvariantCulture)]);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Error, [e.Message]);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Error, ["the scheduler is stopping"]);
        }
    }
}
