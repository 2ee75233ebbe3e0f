using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Berth.Client.Discovery;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Informers;

/// <summary>
/// Keeps an in-memory copy of one resource across all namespaces, from the list and watch it shares with the other
/// informers of the resource on its client (<see cref="WatchSource"/>), and tells its subscribers every change as
/// (old, new): old is null for an addition, new is null for a deletion. A list that replaces the copy reports the
/// differences, so subscribers never miss a deletion that happened while the watch was down. Objects are kept in
/// whatever form <c>read</c> makes of them, so a controller holds only what it needs. As in client-go, the copy
/// changes as the source delivers and the subscribers are told in their own time, so that one slow subscriber holds
/// up only itself.
/// </summary>
public sealed partial class Informer<T> : WatchSource.IWatchSink where T : class
{
    private readonly WatchSource _source;
    private readonly Func<JsonElement, T?> _read;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);

    /// <summary>
    /// Each object's resourceVersion as last seen, so that a list tells only of what changed. Berth's are integers,
    /// kept as such (no string per change to keep); one that is not reads as unknown, and always as a change.
    /// </summary>
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly List<Action<T?, T?>> _handlers = [];
    private readonly Dictionary<string, InformerIndex<T>> _indexes = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });
    private bool _listed;

    /// <summary>
    /// Follows <paramref name="resource"/> through <paramref name="client"/>, keeping each object as
    /// <paramref name="read"/> makes it, and leaving out those it makes null of (as if deleted once it does); with
    /// <paramref name="fieldSelector"/>, only the objects it matches (a node's pods: <c>spec.nodeName=N</c>). A
    /// selection the server makes costs a watch of its own, one <paramref name="read"/> makes shares the resource's.
    /// </summary>
    public Informer(ApiClient client, ApiResource resource, Func<JsonElement, T?> read, ILogger logger, string? fieldSelector = null)
    {
        _source = client.WatchSourceFor(resource, fieldSelector is null ? "" : "&fieldSelector=" + Uri.EscapeDataString(fieldSelector), logger);
        _read = read;
        _logger = logger;
    }

    public ApiResource Resource => _source.Resource;

    /// <summary>Completes once the first list has been delivered to the subscribers.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Adds a subscriber; call before <see cref="RunAsync"/>. Handlers run one at a time, in order.</summary>
    public void OnChange(Action<T?, T?> handler) => _handlers.Add(handler);

    /// <summary>
    /// Keeps the objects also under the keys <paramref name="keys"/> gives each (a pod under its namespace, or its
    /// controller's uid), for <see cref="ByIndex(string, string)"/>; call before <see cref="RunAsync"/>.
    /// </summary>
    public void AddIndex(string index, Func<T, IEnumerable<string>> keys) => _indexes.Add(index, new InformerIndex<T>(keys));

    /// <summary>The objects filed under <paramref name="key"/> in <paramref name="index"/>.</summary>
    public List<T> ByIndex(string index, string key)
    {
        lock (_gate)
            return [.. _indexes[index].Find(key)];
    }

    /// <summary>
    /// Fills <paramref name="into"/>, emptied first, with the objects filed under <paramref name="key"/>: for a caller
    /// that reads many of them on every pass, into a list it keeps.
    /// </summary>
    public void ByIndex(string index, string key, List<T> into)
    {
        into.Clear();
        lock (_gate)
            into.AddRange(_indexes[index].Find(key));
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

    /// <summary>Follows the resource, telling the subscribers, until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var source = _source.Join(this);
        try
        {
            var telling = TellAsync(cancellationToken);
            await Task.WhenAny(telling, source);
            // The source ends only by a bug; then so does this informer, loudly.
            if (source.IsFaulted)
                await source;
            await telling;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _source.Leave(this);
        }
    }

    /// <summary>
    /// Makes a list the copy and queues the differences: objects gone, new, or at another resourceVersion (a list
    /// after the watch was lost must not make every subscriber redo all its work).
    /// </summary>
    void WatchSource.IWatchSink.Listed(List<(string Key, JsonElement Object)> objects)
    {
        var listed = new Dictionary<string, (T Item, long Version)>(StringComparer.Ordinal);
        foreach (var (key, obj) in objects)
        {
            if (TryRead(key, obj) is { } read)
                listed[key] = (read, VersionOf(obj));
        }
        lock (_gate)
        {
            foreach (var (key, old) in _items)
            {
                if (!listed.ContainsKey(key))
                    _changes.Writer.TryWrite(new Change(old, null));
            }
            foreach (var (key, (item, version)) in listed)
            {
                if (!_items.TryGetValue(key, out var old) || version == UnknownVersion || _versions.GetValueOrDefault(key, UnknownVersion) != version)
                    _changes.Writer.TryWrite(new Change(old, item));
            }
            _items.Clear();
            _versions.Clear();
            foreach (var index in _indexes.Values)
                index.Clear();
            foreach (var (key, (item, version)) in listed)
            {
                Store(key, null, item);
                _versions[key] = version;
            }
            _listed = true;
            _changes.Writer.TryWrite(Change.Synced);
        }
    }

    /// <summary>Puts one change in the copy and queues it.</summary>
    void WatchSource.IWatchSink.Changed(string key, JsonElement obj, bool deleted)
    {
        var item = deleted ? null : TryRead(key, obj);
        lock (_gate)
        {
            // A change that reaches an informer before its first list is in that list.
            if (!_listed)
                return;
            var old = _items.GetValueOrDefault(key);
            Store(key, old, item);
            if (item is null)
                _versions.Remove(key);
            else
                _versions[key] = VersionOf(obj);
            // An object that cannot be read any more leaves the copy, as if deleted.
            if (item is null)
            {
                if (old is not null)
                    _changes.Writer.TryWrite(new Change(old, null));
            }
            else
            {
                _changes.Writer.TryWrite(new Change(old, item));
            }
        }
    }

    /// <summary>Tells the subscribers the queued changes, in order.</summary>
    private async Task TellAsync(CancellationToken cancellationToken)
    {
        while (await _changes.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_changes.Reader.TryRead(out var change))
            {
                if (ReferenceEquals(change, Change.Synced))
                    _synced.TrySetResult();
                else
                    Notify(change.Old, change.New);
            }
        }
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
            Log.Unreadable(_logger, _source.Resource.ToString(), key, e.Message);
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
                Log.HandlerFailed(_logger, _source.Resource.ToString(), e);
            }
        }
    }

    private const long UnknownVersion = -1;

    private static long VersionOf(JsonElement obj)
    {
        if (!obj.TryGetProperty("metadata", out var metadata) || !metadata.TryGetProperty("resourceVersion", out var version) || version.ValueKind != JsonValueKind.String)
            return UnknownVersion;
        // Only the plain decimal form: "05" or "+5" is another string than "5", so another version.
        var digits = JsonMarshal.GetRawUtf8Value(version)[1..^1];
        var plain = digits.Length > 0 && (digits[0] is >= (byte)'1' and <= (byte)'9' || digits.SequenceEqual("0"u8));
        return plain && Utf8Parser.TryParse(digits, out long parsed, out var used) && used == digits.Length ? parsed : UnknownVersion;
    }

    private static string Key(string? ns, string name) => ns is null ? name : ns + "/" + name;

    private static partial class Log
    {
        [LoggerMessage(3002, LogLevel.Error, "A subscriber of the {Resource} informer failed")]
        public static partial void HandlerFailed(ILogger logger, string resource, Exception exception);

        [LoggerMessage(3003, LogLevel.Warning, "The {Resource} informer skips {Key}, which it cannot read: {Error}")]
        public static partial void Unreadable(ILogger logger, string resource, string key, string error);
    }

    /// <summary>A change to tell the subscribers; <see cref="Synced"/> marks the end of the first list's.</summary>
    private sealed record Change(T? Old, T? New)
    {
        public static readonly Change Synced = new(null, null);
    }
}
