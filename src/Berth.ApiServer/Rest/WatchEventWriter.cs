using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Printing;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Rest;

/// <summary>
/// Writes a watch's events, one JSON object per line, into the response. Events are sent when the watch has no more
/// queued (<see cref="FlushAsync"/>) or a good amount has gathered, as upstream's watch server flushes when its
/// channel is empty: a watcher behind by thousands of events catches up in a few large writes, and its client reads
/// many events per read, instead of one write, one read and one thread hop each.
/// </summary>
internal sealed class WatchEventWriter(PipeWriter body)
{
    /// <summary>How much may gather before it is sent even though more events are queued.</summary>
    private const int FlushThreshold = 64 * 1024;

    private static readonly Dictionary<string, byte[]> Heads = new[] { "ADDED", "MODIFIED", "DELETED" }
        .ToDictionary(t => t, t => System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"{t}\",\"object\":"));

    private static readonly byte[] Tail = "}\n"u8.ToArray();

    private long _unflushed;

    /// <summary>
    /// An object's event. The JSON form is three copies into the response (head, the cached bytes, tail): one event
    /// goes to every watcher, so nothing is serialized per watcher.
    /// </summary>
    public ValueTask WriteAsync(string type, CachedObject obj, TableEvents? tables, CancellationToken cancellationToken)
    {
        if (tables is not null)
            return WriteAsync(type, tables.Wrap(obj.Parse()), cancellationToken);
        body.Write(Heads[type]);
        obj.Json.CopyTo(body);
        body.Write(Tail);
        return Written(Heads[type].Length + obj.Json.Length + Tail.Length, cancellationToken);
    }

    public ValueTask WriteAsync(string type, JsonObject obj, CancellationToken cancellationToken)
    {
        using var writer = new Utf8JsonWriter(body, WireJson.Writer);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WritePropertyName("object");
        obj.WriteTo(writer);
        writer.WriteEndObject();
        writer.Flush();
        body.Write("\n"u8);
        return Written(writer.BytesCommitted + 1, cancellationToken);
    }

    /// <summary>Sends what has gathered.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        await body.FlushAsync(cancellationToken);
    }

    private ValueTask Written(long bytes, CancellationToken cancellationToken)
    {
        _unflushed += bytes;
        return _unflushed >= FlushThreshold ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
    }
}
