using System.Text;
using System.Text.Json.Nodes;
using Berth.Agent.Cri.Protocol;
using Berth.Agent.Pods.Probes;
using Berth.Agent.Runtime;
using Grpc.Core;
using ContainerStatus = Berth.Agent.Runtime.ContainerStatus;
using PodSandbox = Berth.Agent.Runtime.PodSandbox;

namespace Berth.Agent.Cri;

/// <summary>
/// Runs probes and lifecycle handlers against real containers: <c>exec</c> inside the container through CRI's
/// ExecSync (a non-zero exit fails, with the command's output as the message), the network kinds from the node into
/// the pod's network.
/// </summary>
public sealed class CriHandlers(CriRuntime runtime) : IHandlerRunner, IDisposable
{
    /// <summary>The handler kinds whose port may be given by name.</summary>
    private static readonly string[] PortedKinds = ["httpGet", "tcpSocket"];

    private readonly NetworkProbes _network = new();

    public async Task<HandlerResult> RunAsync(ContainerStatus container, PodSandbox sandbox, JsonObject handler, HandlerUse use, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (handler["exec"] is JsonObject exec)
            return await ExecAsync(container, exec, timeout, cancellationToken);
        // A port given by name is looked up among the container's declared ports, kept with it when it was created.
        var declared = NamesPort(handler) ? JsonNode.Parse(await runtime.PortsOfAsync(container.Id, cancellationToken) ?? "[]") as JsonArray ?? [] : [];
        return await _network.RunAsync(handler, sandbox.Ip,
                name => declared.OfType<JsonObject>().FirstOrDefault(p => p["name"]?.ToString() == name)?["containerPort"]?.GetValue<int>(), cancellationToken)
            ?? new HandlerResult(false, "the handler names no action (exec, httpGet, tcpSocket, grpc or sleep)");
    }

    public void Dispose() => _network.Dispose();

    private static bool NamesPort(JsonObject handler) =>
        PortedKinds.Any(kind => handler[kind]?["port"] is JsonValue port && port.TryGetValue<string>(out var name)
            && !int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _));

    private async Task<HandlerResult> ExecAsync(ContainerStatus container, JsonObject exec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var command = (exec["command"] as JsonArray ?? []).Select(c => c?.ToString() ?? "").ToList();
        var request = new ExecSyncRequest { ContainerId = container.Id, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
        request.Cmd.Add(command);
        try
        {
            var result = await runtime.Runtime.ExecSyncAsync(request, cancellationToken: cancellationToken);
            if (result.ExitCode == 0)
                return HandlerResult.Success;
            var output = Encoding.UTF8.GetString(result.Stdout.Span) + Encoding.UTF8.GetString(result.Stderr.Span);
            return new HandlerResult(false, output.Length > 0 ? output : $"command {Quoted(command)} exited with {result.ExitCode}");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return new HandlerResult(false, $"command {Quoted(command)} timed out");
        }
    }

    private static string Quoted(IEnumerable<string> command) => "\"" + string.Join(' ', command) + "\"";
}
