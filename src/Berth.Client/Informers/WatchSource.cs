using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Berth.Client.Discovery;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Informers;

/// <summary>
/// One list-then-watch of a resource (and field selection) shared by every informer of it on one client, as
/// client-go's shared informers share theirs: each object crosses the connection and is parsed once however many
/// controllers follow it. The source lists at resourceVersion 0, watches from the list's resourceVersion (with
/// bookmarks) and lists again when the watch answers 410 Gone; every list and event goes to each informer joined,
/// which keeps its own form of the objects. An informer that joins a running source gets a fresh list (the others
/// see no difference in it).
/// </summary>
internal sealed partial class WatchSource(ApiClient client, ApiResource resource, string selection, ILogger logger)
{
    private const int PageSize = 500;

    private readonly Lock _gate = new();
    private IWatchSink[] _sinks = [];
    /// <summary>Stops the loop, which is running while this is set (the loop owns its cancellation source).</summary>
    private Action? _stop;
    private CancellationTokenSource? _attempt;
    private bool _listWanted;
    private Task _loop = Task.CompletedTask;

    /// <summary>What a source delivers to, from its loop, one call at a time.</summary>
    internal interface IWatchSink
    {
        /// <summary>Everything there is, replacing what came before.</summary>
        void Listed(List<(string Key, JsonElement Object)> objects);

        /// <summary>One object added, modified or deleted.</summary>
        void Changed(string key, JsonElement obj, bool deleted);
    }

    public ApiResource Resource => resource;

    /// <summary>Delivers to <paramref name="sink"/> from a fresh list on; returns the source's loop, which fails only on a bug.</summary>
    public Task Join(IWatchSink sink)
    {
        lock (_gate)
        {
            _sinks = [.. _sinks, sink];
            if (_stop is null)
            {
                var running = new CancellationTokenSource();
                _stop = running.Cancel;
                _loop = Task.Run(() => RunAsync(running), CancellationToken.None);
            }
            else
            {
                // What is under way is broken off: the loop lists again, and the newcomer starts from that list.
                _listWanted = true;
                _attempt?.Cancel();
            }
            return _loop;
        }
    }

    /// <summary>Stops delivering to <paramref name="sink"/>; the last to leave stops the source.</summary>
    public void Leave(IWatchSink sink)
    {
        lock (_gate)
        {
            _sinks = [.. _sinks.Where(s => s != sink)];
            if (_sinks.Length > 0 || _stop is null)
                return;
            _stop();
            _stop = null;
        }
    }

    private async Task RunAsync(CancellationTokenSource running)
    {
        using var owned = running;
        var stopping = running.Token;
        string? resourceVersion = null;
        while (!stopping.IsCancellationRequested)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            lock (_gate)
            {
                _attempt = attempt;
                if (_listWanted)
                    (resourceVersion, _listWanted) = (null, false);
            }
            try
            {
                resourceVersion ??= await ListAsync(attempt.Token);
                resourceVersion = await WatchAsync(resourceVersion, attempt.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException) when (attempt.IsCancellationRequested)
            {
                // An informer joined.
                resourceVersion = null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or InvalidOperationException)
            {
                Log.Failed(logger, resource.ToString(), e);
                resourceVersion = null;
                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                lock (_gate)
                    _attempt = null;
            }
        }
    }

    /// <summary>Lists everything (at resourceVersion 0, as client-go's reflector lists: the server's watch cache answers, in one page) and delivers it; returns the list's revision.</summary>
    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var sinks = Sinks();
        var documents = new List<JsonDocument>();
        try
        {
            var objects = new List<(string, JsonElement)>();
            string? next = null;
            string resourceVersion;
            do
            {
                var path = resource.CollectionPath() + $"?limit={PageSize}" + selection
                    + (next is null ? "&resourceVersion=0" : "&continue=" + Uri.EscapeDataString(next));
                using var response = await client.StreamAsync(path, cancellationToken);
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"listing {resource} failed: HTTP {(int)response.StatusCode}");
                var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                documents.Add(document);
                var metadata = document.RootElement.GetProperty("metadata");
                resourceVersion = metadata.GetProperty("resourceVersion").GetString()!;
                next = metadata.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
                foreach (var item in document.RootElement.GetProperty("items").EnumerateArray())
                    objects.Add((KeyOf(item), item));
            }
            while (next is not null);
            foreach (var sink in sinks)
                sink.Listed(objects);
            return resourceVersion;
        }
        finally
        {
            foreach (var document in documents)
                document.Dispose();
        }
    }

    /// <summary>Follows changes after <paramref name="resourceVersion"/>; returns where to go on, or null to list again.</summary>
    private async Task<string?> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        // Watches end on their own after five to ten minutes (as client-go's do), so that no stream lives forever.
        var timeout = 300 + Random.Shared.Next(300);
        var path = resource.CollectionPath() + string.Create(CultureInfo.InvariantCulture,
            $"?watch=1&allowWatchBookmarks=true&timeoutSeconds={timeout}&resourceVersion={Uri.EscapeDataString(resourceVersion)}{selection}");
        using var response = await client.StreamAsync(path, cancellationToken);
        if ((int)response.StatusCode == 410)
            return Gone();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"watching {resource} failed: HTTP {(int)response.StatusCode}");
        // Events are parsed from the bytes as they come, every whole line of a read before the next read.
        var reader = PipeReader.Create(await response.Content.ReadAsStreamAsync(cancellationToken));
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    var line = buffer.Slice(0, end);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    if (!line.IsEmpty && !Deliver(line, ref resourceVersion))
                        return Gone();
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                    return resourceVersion;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    /// <summary>Notes that the server no longer holds the changes since the last revision seen (410 Gone), so that a list must catch up.</summary>
    private string? Gone()
    {
        Log.Gone(logger, resource.ToString());
        return null;
    }

    /// <summary>Delivers one watch event and notes its resourceVersion; false when the watch must list again (410 Gone).</summary>
    private bool Deliver(ReadOnlySequence<byte> line, ref string resourceVersion)
    {
        using var document = JsonDocument.Parse(line);
        var type = document.RootElement.GetProperty("type").GetString();
        var obj = document.RootElement.GetProperty("object");
        if (type == "ERROR")
        {
            if (obj.TryGetProperty("code", out var code) && code.GetInt32() == 410)
                return false;
            throw new InvalidOperationException($"watching {resource} failed: {obj.GetRawText()}");
        }
        resourceVersion = obj.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? resourceVersion;
        if (type == "BOOKMARK")
            return true;
        var key = KeyOf(obj);
        foreach (var sink in Sinks())
            sink.Changed(key, obj, deleted: type == "DELETED");
        return true;
    }

    private IWatchSink[] Sinks()
    {
        lock (_gate)
            return _sinks;
    }

    private static string KeyOf(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        var name = metadata.GetProperty("name").GetString()!;
        return metadata.TryGetProperty("namespace", out var ns) && ns.GetString() is { Length: > 0 } n ? n + "/" + name : name;
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Warning, "The informer of {Resource} lost its list or watch; listing again")]
        public static partial void Failed(ILogger logger, string resource, Exception exception);

        [LoggerMessage(3004, LogLevel.Information, "The watch of {Resource} fell behind what the server keeps; listing again")]
        public static partial void Gone(ILogger logger, string resource);
    }
}
