using Berth.Agent.Cri.Protocol;
using Berth.Agent.Runtime;

namespace Berth.Agent.Cri;

/// <summary>Asks the CRI runtime for the stream server URLs of exec, attach and port-forward.</summary>
public sealed class CriStreams(CriRuntime runtime) : IStreamingRuntime
{
    public async Task<Uri> ExecAsync(string containerId, IReadOnlyList<string> command, StreamOptions streams, CancellationToken cancellationToken)
    {
        var request = new ExecRequest
        {
            ContainerId = containerId,
            Stdin = streams.Stdin,
            Stdout = streams.Stdout,
            Stderr = streams.Stderr,
            Tty = streams.Tty,
        };
        request.Cmd.Add(command);
        return new Uri((await runtime.Runtime.ExecAsync(request, cancellationToken: cancellationToken)).Url);
    }

    public async Task<Uri> AttachAsync(string containerId, StreamOptions streams, CancellationToken cancellationToken)
    {
        var request = new AttachRequest
        {
            ContainerId = containerId,
            Stdin = streams.Stdin,
            Stdout = streams.Stdout,
            Stderr = streams.Stderr,
            Tty = streams.Tty,
        };
        return new Uri((await runtime.Runtime.AttachAsync(request, cancellationToken: cancellationToken)).Url);
    }

    public async Task<Uri> PortForwardAsync(string sandboxId, CancellationToken cancellationToken) =>
        new((await runtime.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = sandboxId }, cancellationToken: cancellationToken)).Url);
}
