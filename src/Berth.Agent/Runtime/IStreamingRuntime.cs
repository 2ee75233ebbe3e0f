namespace Berth.Agent.Runtime;

/// <summary>
/// Where a runtime serves a container's interactive streams. CRI's Exec, Attach and PortForward do not stream
/// themselves: they answer with a single-use URL on the runtime's own stream server, which speaks upstream's
/// remote-command and port-forward protocols; the agent connects to it and carries the streams to the API server.
/// </summary>
public interface IStreamingRuntime
{
    /// <summary>The URL at which <paramref name="command"/> runs in the container with the streams asked for.</summary>
    Task<Uri> ExecAsync(string containerId, IReadOnlyList<string> command, StreamOptions streams, CancellationToken cancellationToken);

    /// <summary>The URL at which the container's own streams can be attached to.</summary>
    Task<Uri> AttachAsync(string containerId, StreamOptions streams, CancellationToken cancellationToken);

    /// <summary>The URL through which ports of the sandbox's network namespace are forwarded.</summary>
    Task<Uri> PortForwardAsync(string sandboxId, CancellationToken cancellationToken);
}

/// <summary>Which of a process's streams a client wants, and whether it runs on a terminal.</summary>
public sealed record StreamOptions(bool Stdin, bool Stdout, bool Stderr, bool Tty);
