using System.Globalization;
using System.Text.Json;
using Berth.Client.Discovery;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Informers;

/// <summary>
/// Keeps an in-memory copy of one resource across all namespaces: lists it, then watches from the list's
/// resourceVersion (with bookmarks), lists again when the watch answers 410 Gone, and tells its subscribers every
/// change as (old, new): old is null for an addition, new is null for a deletion. A list that replaces the copy
/// reports the differences, so subscribers never miss a deletion that happened while the watch was down.
/// Objects are kept in whatever form <c>read</c> makes of them, so a controller holds only what it needs.
/// </summary>
public sealed partial class Informer<T> where T : class
{
    private const int PageSize = 500;

    private readonly ApiClient _client;
    private readonly ApiResource _resource;
    private readonly Func<JsonElement, T> _read;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly List<Action<T?, T?>> _handlers = [];
    private readonly Dictionary<string, InformerIndex<T>> _indexes = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _selection;

    /// <summary>
    /// Follows <paramref name="resource"/> through <paramref name="client"/>, keeping each object as
    /// <paramref name="read"/> makes it; with <paramref name="fieldSelector"/>, only the objects it matches (a node's
    /// pods: <c>spec.nodeName=N</c>).
    /// </summary>
    public Informer(ApiClient client, ApiResource resource, Func<JsonElement, T> read, ILogger logger, string? fieldSelector = null)
    {
        _client = client;
        _resource = resource;
        _read = read;
        _logger = logger;
        _selection = fieldSelector is null ? "" : "&fieldSelector=" + Uri.EscapeDataString(fieldSelector);
    }

    public ApiResource Resource => _resource;

    /// <summary>Completes once the first list has been delivered to the subscribers.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Adds a subscriber; call before <see cref="RunAsync"/>. Handlers run one at a time, in order.</summary>
    public void OnChange(Action<T?, T?> handler) => _handlers.Add(handler);

    /// <summary>
    /// Keeps the objects also under the keys <paramref name="keys"/> gives each (a pod under its namespace, or its
    /// controller's uid), for <see cref="ByIndex"/>; call before <see cref="RunAsync"/>.
    /// </summary>
    public void AddIndex(string index, Func<T, IEnumerable<string>> keys) => _indexes.Add(index, new InformerIndex<T>(keys));

    /// <summary>The objects filed under <paramref name="key"/> in <paramref name="index"/>.</summary>
    public List<T> ByIndex(string index, string key)
    {
        lock (_gate)
            return [.. _indexes[index].Find(key).Select(k => _items[k])];
    }

    public T? Get(string? ns, string name)
    {
        lock (_gate)
            return _items.GetValueOrDefault(Key(ns, name));
    }

    public List<T> Items()
    {
        lock (_gate)
            return [.. _items.Values];
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                resourceVersion ??= await ListAsync(cancellationToken);
                resourceVersion = await WatchAsync(resourceVersion, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or InvalidOperationException)
            {
                Log.Failed(_logger, _resource.ToString(), e);
                resourceVersion = null;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Lists everything, page by page, makes it the copy and reports the differences; returns the list's revision.</summary>
    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var listed = new Dictionary<string, T>(StringComparer.Ordinal);
        string? next = null;
        string resourceVersion;
        do
        {
            var path = _resource.CollectionPath() + $"?limit={PageSize}" + _selection + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            using var response = await _client.StreamAsync(path, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"listing {_resource} failed: HTTP {(int)response.StatusCode}");
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var metadata = document.RootElement.GetProperty("metadata");
            resourceVersion = metadata.GetProperty("resourceVersion").GetString()!;
            next = metadata.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } token ? token : null;
            foreach (var item in document.RootElement.GetProperty("items").EnumerateArray())
            {
                var key = KeyOf(item);
                if (TryRead(key, item) is { } read)
                    listed[key] = read;
            }
        }
        while (next is not null);

        List<(T? Old, T? New)> changes = [];
        lock (_gate)
        {
            foreach (var (key, old) in _items)
            {
                if (!listed.ContainsKey(key))
                    changes.Add((old, null));
            }
            foreach (var (key, item) in listed)
                changes.Add((_items.GetValueOrDefault(key), item));
            _items.Clear();
            foreach (var index in _indexes.Values)
                index.Clear();
            foreach (var (key, item) in listed)
                Store(key, null, item);
        }
        foreach (var (old, item) in changes)
            Notify(old, item);
        _synced.TrySetResult();
        return resourceVersion;
    }

    /// <summary>Follows changes after <paramref name="resourceVersion"/>; returns where to go on, or null to list again.</summary>
    private async Task<string?> WatchAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        // Watches end on their own after five to ten minutes (as client-go's do), so that no stream lives forever.
        var timeout = 300 + Random.Shared.Next(300);
        var path = _resource.CollectionPath() + string.Create(CultureInfo.InvariantCulture,
            $"?watch=1&allowWatchBookmarks=true&timeoutSeconds={timeout}&resourceVersion={Uri.EscapeDataString(resourceVersion)}{_selection}");
        using var response = await _client.StreamAsync(path, cancellationToken);
        if ((int)response.StatusCode == 410)
            return null;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"watching {_resource} failed: HTTP {(int)response.StatusCode}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
                continue;
            using var document = JsonDocument.Parse(line);
            var type = document.RootElement.GetProperty("type").GetString();
            var obj = document.RootElement.GetProperty("object");
            if (type == "ERROR")
            {
                if (obj.TryGetProperty("code", out var code) && code.GetInt32() == 410)
                    return null;
                throw new InvalidOperationException($"watching {_resource} failed: {line}");
            }
            resourceVersion = obj.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? resourceVersion;
            if (type == "BOOKMARK")
                continue;
            var key = KeyOf(obj);
            var item = TryRead(key, obj);
            T? old;
            lock (_gate)
            {
                old = _items.GetValueOrDefault(key);
                Store(key, old, type == "DELETED" ? null : item);
            }
            // An object that cannot be read any more leaves the copy, as if deleted.
            if (type == "DELETED" || item is null)
            {
                if ((old ?? item) is not null)
                    Notify(old ?? item, null);
            }
            else
            {
                Notify(old, item);
            }
        }
        return resourceVersion;
    }

    /// <summary>
    /// What <c>read</c> makes of <paramref name="obj"/>, or null (logged) when it cannot: an object whose fields are
    /// not what the reader expects must cost its subscribers that one object, not the whole informer.
    /// </summary>
    private T? TryRead(string key, JsonElement obj)
    {
        try
        {
            return _read(obj);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            Log.Unreadable(_logger, _resource.ToString(), key, e.Message);
            return null;
        }
    }

    /// <summary>Puts <paramref name="item"/> in place of <paramref name="old"/> (either may be null), indexes too; under the lock.</summary>
    private void Store(string key, T? old, T? item)
    {
        if (item is null)
            _items.Remove(key);
        else
            _items[key] = item;
        foreach (var index in _indexes.Values)
            index.Replace(key, old, item);
    }

    private void Notify(T? old, T? item)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                handler(old, item);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.HandlerFailed(_logger, _resource.ToString(), e);
            }
        }
    }

    private static string KeyOf(JsonElement obj)
    {
        var metadata = obj.GetProperty("metadata");
        var name = metadata.GetProperty("name").GetString()!;
        return metadata.TryGetProperty("namespace", out var ns) && ns.GetString() is { Length: > 0 } n ? Key(n, name) : Key(null, name);
    }

    private static string Key(string? ns, string name) => ns is null ? name : ns + "/" + name;

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Warning, "The informer of {Resource} lost its list or watch; listing again")]
        public static partial void Failed(ILogger logger, string resource, Exception exception);

        [LoggerMessage(3002, LogLevel.Error, "A subscriber of the {Resource} informer failed")]
        public static partial void HandlerFailed(ILogger logger, string resource, Exception exception);

        [LoggerMessage(3003, LogLevel.Warning, "The {Resource} informer skips {Key}, which it cannot read: {Error}")]
        public static partial void Unreadable(ILogger logger, string resource, string key, string error);
    }
}
