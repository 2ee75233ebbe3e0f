using System.Globalization;
using Berth.Core.Errors;
using Berth.Core.Networking;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    /// <summary>The request headers that negotiate the new protocol, passed on to the agent as they came.</summary>
    private static readonly string[] UpgradeHeaders = ["Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "X-Stream-Protocol-Version"];

    /// <summary>The agent's answer headers that the client needs to see the switch through.</summary>
    private static readonly string[] SwitchHeaders = ["Upgrade", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol", "X-Stream-Protocol-Version"];

    /// <summary>The streams PodExecOptions (and PodAttachOptions) may ask for, and the flags the agent takes.</summary>
    private static readonly string[] Streams = ["stdin", "stdout", "stderr"];
    private static readonly string[] StreamFlags = [.. Streams, "tty"];

    /// <summary>
    /// <c>pods/{name}/exec</c>, <c>attach</c> and <c>portforward</c>: checked here as upstream's API server checks them
    /// (which container, a command, at least one stream, a node), then passed to the agent of the pod's node on a
    /// connection of their own. Once the agent switches protocols (WebSocket or SPDY), bytes flow both ways unread
    /// until either side ends; an agent's refusal reaches the client as the agent worded it, as upstream's proxy does.
    /// </summary>
    private async Task StreamAsync(HttpContext context, RequestTarget target)
    {
        if (target.Resource.Group.Length != 0 || target.Resource.Plural != "pods")
            throw new ApiException(ApiStatus.NoSuchPath());
        var (pod, _) = await GetCurrentAsync(target, context.RequestAborted);
        var name = target.Name!;
        var query = context.Request.Query;
        var ns = Uri.EscapeDataString(target.Namespace!);
        string path;
        if (target.Subresource == "portforward")
        {
            // The WebSocket protocol's ports, under the parameter name the node takes (upstream's kubelet's).
            var ports = query["ports"].OfType<string>().Select(p => "port=" + Uri.EscapeDataString(p)).ToList();
            path = $"portForward/{ns}/{Uri.EscapeDataString(name)}" + (ports.Count > 0 ? "?" + string.Join('&', ports) : "");
        }
        else
        {
            var container = ContainerFor(pod, name, query["container"] is [{ Length: > 0 } asked] ? asked : null);
            var command = query["command"].OfType<string>().ToList();
            if (target.Subresource == "exec" && command.Count == 0)
                throw new ApiException(ApiStatus.BadRequest("you must specify at least 1 command"));
            if (!Streams.Any(f => IsSet(query, f)))
                throw new ApiException(ApiStatus.BadRequest("you must specify at least 1 of stdin, stdout, stderr"));
            var parameters = command.Select(c => "command=" + Uri.EscapeDataString(c))
                .Concat(StreamFlags.Where(f => IsSet(query, f)).Select(f => f + "=true"));
            path = $"{target.Subresource}/{ns}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}?{string.Join('&', parameters)}";
        }
        var agent = AgentOf(pod, name);
        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgrade)
            throw new ApiException(ApiStatus.BadRequest("Upgrade request required"));

        var fields = new List<KeyValuePair<string, string>> { new("Connection", "Upgrade") };
        foreach (var header in UpgradeHeaders)
            fields.AddRange(context.Request.Headers[header].OfType<string>().Select(v => new KeyValuePair<string, string>(header, v)));
        Stream connection;
        HttpHead? answer;
        try
        {
            (connection, answer) = await agents.UpgradeAsync(agent, context.Request.Method, path, fields, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
        {
            throw new ApiException(new ApiStatus(503, "ServiceUnavailable", $"error dialing backend: {e.Message}"));
        }
        await using (connection)
        {
            if (answer is null)
                throw new ApiException(new ApiStatus(503, "ServiceUnavailable", "error dialing backend: the node's agent closed the connection"));
            if (answer.StatusCode != StatusCodes.Status101SwitchingProtocols)
            {
                await RelayRefusalAsync(context, connection, answer);
                return;
            }
            foreach (var header in SwitchHeaders)
            {
                if (answer.Value(header) is { } value)
                    context.Response.Headers[header] = value;
            }
            await using var client = await upgrade.UpgradeAsync();
            await BytePipe.RunAsync(client, connection, context.RequestAborted);
        }
    }

    private static bool IsSet(IQueryCollection query, string flag) => query[flag] is [var value] && value is "true" or "1";

    /// <summary>The agent's non-101 answer, status and text, as it gave it.</summary>
    private static async Task RelayRefusalAsync(HttpContext context, Stream connection, HttpHead answer)
    {
        var length = int.TryParse(answer.Value("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Min(l, 64 * 1024) : 0;
        var body = new byte[length];
        var read = await connection.ReadAtLeastAsync(body, length, throwOnEndOfStream: false, context.RequestAborted);
        context.Response.StatusCode = answer.StatusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.Body.WriteAsync(body.AsMemory(0, read), context.RequestAborted);
    }
}
