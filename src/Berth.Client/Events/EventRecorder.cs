using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Events;

/// <summary>
/// Records core/v1 Events about objects for a component (<c>replicaset-controller</c>, say), as upstream's event
/// recorder does: in the background, so that reconciling never waits on them, with repeats counted on the event
/// already written and floods of similar events combined and limited (<see cref="EventCorrelator"/>). Several writes
/// are in flight at once, so that a scheduler placing a thousand pods a second can record each one; writes to one
/// event go out in order. If the API server cannot keep up, events are dropped rather than held without bound.
/// </summary>
public sealed partial class EventRecorder
{
    private const int Backlog = 1_000;

    /// <summary>
    /// Writes in flight at once. One at a time (upstream's sink) a busy server's round trip bounds a recorder to a few
    /// hundred events a second, and the scheduler dropped most of its Scheduled events in a burst; with 16 it still
    /// dropped half of them at 1,500 pods a second, with 64 none (bench-scheduler).
    /// </summary>
    private const int InFlight = 64;

    private readonly ApiClient _client;
    private readonly string _component;
    private readonly string? _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingEvent> _pending = Channel.CreateBounded<PendingEvent>(
        new BoundedChannelOptions(Backlog) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Only the recorder's writer uses it.</summary>
    private readonly EventCorrelator _correlator = new();

    /// <summary>A recorder for <paramref name="component"/>, on <paramref name="host"/> when it runs on a node (the agent).</summary>
    public EventRecorder(ApiClient client, string component, TimeProvider time, ILogger logger, string? host = null)
    {
        _client = client;
        _component = component;
        _host = host;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// An event about <paramref name="involved"/> (an object as the API returns it: its apiVersion, kind and
    /// metadata are read): <paramref name="type"/> is <c>Normal</c> or <c>Warning</c>.
    /// </summary>
    public void Record(JsonObject involved, string type, string reason, string message) =>
        Record(involved["apiVersion"]?.ToString() ?? "", involved["kind"]?.ToString() ?? "", involved["metadata"], type, reason, message);

    /// <summary>
    /// An event about the object of that apiVersion and kind with <paramref name="metadata"/> (list items carry no
    /// kind); <paramref name="fieldPath"/> names a part of it (<c>spec.containers{app}</c>), as the agent's events do.
    /// </summary>
    public void Record(string apiVersion, string kind, JsonNode? metadata, string type, string reason, string message, string? fieldPath = null)
    {
        var reference = new JsonObject
        {
            ["kind"] = kind,
            ["namespace"] = metadata?["namespace"]?.DeepClone(),
            ["name"] = metadata?["name"]?.DeepClone(),
            ["uid"] = metadata?["uid"]?.DeepClone(),
            ["apiVersion"] = apiVersion,
            ["resourceVersion"] = metadata?["resourceVersion"]?.DeepClone(),
        };
        if (fieldPath is not null)
            reference["fieldPath"] = fieldPath;
        _pending.Writer.TryWrite(new PendingEvent(reference, type, reason, message, _time.GetUtcNow()));
    }

    /// <summary>Writes the events recorded until cancelled; what is still waiting then is dropped.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(InFlight);
        // A count goes out after its event's create.
        var writes = new KeyedSequence();
        try
        {
            await foreach (var e in _pending.Reader.ReadAllAsync(cancellationToken))
            {
                if (Correlate(e) is not { } write)
                    continue;
                await slots.WaitAsync(cancellationToken);
                _ = writes.Run(write.Correlated.Name, () => WriteInSlotAsync(write, slots, cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        await writes.WhenAllDone();
    }

    /// <summary>The event to write for <paramref name="e"/> (sequential: the correlator is not shared), or null if it is dropped.</summary>
    private EventWrite? Correlate(PendingEvent e)
    {
        var ns = e.Involved["namespace"]?.ToString() is { Length: > 0 } given ? given : "default";
        var involved = new EventCorrelator.ObjectKey(e.Involved["apiVersion"]?.ToString() ?? "", e.Involved["kind"]?.ToString() ?? "",
            ns, e.Involved["name"]?.ToString() ?? "", e.Involved["uid"]?.ToString() ?? "");
        var newName = string.Create(CultureInfo.InvariantCulture, $"{involved.Name}.{(e.At.ToUnixTimeMilliseconds() * 1_000_000) + Random.Shared.Next(1_000_000):x}");
        return _correlator.Correlate(involved, e.Involved["fieldPath"]?.ToString() ?? "", e.Type, e.Reason, e.Message, e.At, newName) is { } correlated
            ? new EventWrite(e, ns, correlated)
            : null;
    }

    private async Task WriteInSlotAsync(EventWrite write, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(write, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
        {
            Log.WriteFailed(_logger, write.Event.Reason, write.Event.Involved["name"]?.ToString() ?? "", ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: what was in flight is dropped.
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task WriteAsync(EventWrite write, CancellationToken cancellationToken)
    {
        var (e, ns, correlated) = write;
        if (correlated.IsRepeat)
        {
            var patch = new JsonObject { ["count"] = correlated.Count, ["lastTimestamp"] = Time(e.At), ["message"] = correlated.Message };
            var counted = await _client.MergePatchAsync($"/api/v1/namespaces/{ns}/events/{correlated.Name}", patch, cancellationToken);
            if (!counted.IsNotFound)
            {
                counted.ThrowIfFailed($"counting event {e.Reason}");
                return;
            }
            // Gone (expired, or deleted): written anew with its count.
        }
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = correlated.Name, ["namespace"] = ns },
            ["involvedObject"] = e.Involved,
            ["reason"] = e.Reason,
            ["message"] = correlated.Message,
            ["type"] = e.Type,
            ["source"] = _host is null ? new JsonObject { ["component"] = _component } : new JsonObject { ["component"] = _component, ["host"] = _host },
            ["reportingComponent"] = _component,
            ["reportingInstance"] = _host ?? "",
            ["firstTimestamp"] = Time(correlated.FirstTimestamp),
            ["lastTimestamp"] = Time(e.At),
            ["count"] = correlated.Count,
        };
        var created = await _client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/events", ev, cancellationToken);
        created.ThrowIfFailed($"recording event {e.Reason}");
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record PendingEvent(JsonObject Involved, string Type, string Reason, string Message, DateTimeOffset At);

    private sealed record EventWrite(PendingEvent Event, string Namespace, EventCorrelator.Correlated Correlated);

    private static partial class Log
    {
        [LoggerMessage(3020, LogLevel.Debug, "Could not record the event {Reason} about {Name}")]
        public static partial void WriteFailed(ILogger logger, string reason, string name, Exception exception);
    }
}
