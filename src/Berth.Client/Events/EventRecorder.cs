using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Events;

/// <summary>
/// Records core/v1 Events about objects for a component (<c>replicaset-controller</c>, say), as upstream's event
/// recorder does: in the background, so that reconciling never waits on them, and a repeat of the same event about
/// the same object (type, reason and message) counts again on the event already written (<c>count</c> and
/// <c>lastTimestamp</c>) instead of writing a new one. If the API server cannot keep up, events are dropped rather
/// than held without bound.
/// </summary>
public sealed partial class EventRecorder
{
    private const int Backlog = 1_000;

    private readonly ApiClient _client;
    private readonly string _component;
    private readonly string? _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingEvent> _pending = Channel.CreateBounded<PendingEvent>(
        new BoundedChannelOptions(Backlog) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>The events written, by what makes them the same, with their names, to count repeats on.</summary>
    private readonly Dictionary<(string Uid, string Type, string Reason, string Message), string> _written = [];

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
        try
        {
            await foreach (var e in _pending.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await WriteAsync(e, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
                {
                    Log.WriteFailed(_logger, e.Reason, e.Involved["name"]?.ToString() ?? "", ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task WriteAsync(PendingEvent e, CancellationToken cancellationToken)
    {
        var ns = e.Involved["namespace"]?.ToString() is { Length: > 0 } given ? given : "default";
        var same = (e.Involved["uid"]?.ToString() ?? "", e.Type, e.Reason, e.Message);
        if (_written.TryGetValue(same, out var existing) && await CountAgainAsync(ns, existing, e.At, cancellationToken))
            return;

        var name = string.Create(CultureInfo.InvariantCulture, $"{e.Involved["name"]}.{(e.At.ToUnixTimeMilliseconds() * 1_000_000) + Random.Shared.Next(1_000_000):x}");
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["involvedObject"] = e.Involved,
            ["reason"] = e.Reason,
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["source"] = _host is null ? new JsonObject { ["component"] = _component } : new JsonObject { ["component"] = _component, ["host"] = _host },
            ["reportingComponent"] = _component,
            ["reportingInstance"] = _host ?? "",
            ["firstTimestamp"] = Time(e.At),
            ["lastTimestamp"] = Time(e.At),
            ["count"] = 1,
        };
        var created = await _client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/events", ev, cancellationToken);
        created.ThrowIfFailed($"recording event {e.Reason}");
        if (_written.Count >= Backlog * 10)
            _written.Clear();
        _written[same] = name;
    }

    /// <summary>One more occurrence on an event already written; false if it is gone.</summary>
    private async Task<bool> CountAgainAsync(string ns, string name, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{ns}/events/{name}";
        var found = await _client.GetAsync(path, cancellationToken);
        if (!found.Succeeded)
            return false;
        var patch = new JsonObject { ["count"] = (found.Body!["count"]?.GetValue<int>() ?? 1) + 1, ["lastTimestamp"] = Time(at) };
        return (await _client.MergePatchAsync(path, patch, cancellationToken)).Succeeded;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record PendingEvent(JsonObject Involved, string Type, string Reason, string Message, DateTimeOffset At);

    private static partial class Log
    {
        [LoggerMessage(3020, LogLevel.Debug, "Could not record the event {Reason} about {Name}")]
        public static partial void WriteFailed(ILogger logger, string reason, string name, Exception exception);
    }
}
