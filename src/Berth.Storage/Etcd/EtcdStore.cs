using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using CompareResult = Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcdserverpb.Compare.Types.CompareTarget;

namespace Berth.Storage.Etcd;

/// <summary>
/// The store on an etcd cluster, for several servers. Every operation is one etcd request: creates, updates and
/// deletes are transactions that compare the key's revisions and read it back when the comparison fails;
/// revisions, compaction and leases are etcd's own.
/// </summary>
public sealed class EtcdStore : IStore
{
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly Watch.WatchClient _watch;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IClientStreamWriter<WatchRequest>, byte> _openWatches = new();
    private readonly Lease.LeaseClient _lease;
    private readonly Maintenance.MaintenanceClient _maintenance;
    private long _compactRevision;

    private EtcdStore(GrpcChannel channel)
    {
        _channel = channel;
        _kv = new KV.KVClient(channel);
        _watch = new Watch.WatchClient(channel);
        _lease = new Lease.LeaseClient(channel);
        _maintenance = new Maintenance.MaintenanceClient(channel);
    }

    /// <summary>Connects and checks that etcd answers; throws <see cref="StoreOpenException"/> when it does not.</summary>
    public static async Task<EtcdStore> OpenAsync(EtcdStoreOptions options, CancellationToken cancellationToken)
    {
        var store = new EtcdStore(EtcdChannel.Create(options.Endpoints));
        try
        {
            await store._maintenance.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow + options.ConnectTimeout, cancellationToken: cancellationToken);
            return store;
        }
        catch (RpcException e)
        {
            await store.DisposeAsync();
            throw new StoreOpenException(
                $"etcd at {string.Join(", ", options.Endpoints)} does not answer ({e.Status.Detail}). Start etcd or fix --datastore-endpoint.", e);
        }
    }

    public async Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, long lease, CancellationToken cancellationToken)
    {
        if ((StoreLimits.ValidateKey(key) ?? StoreLimits.ValidateValue(value)) is { } error)
            return WriteResult.Invalid(error);
        var k = Key(key);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = CompareTarget.Create, Result = CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = UnsafeByteOperations.UnsafeWrap(value), Lease = lease } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        try
        {
            var response = await _kv.TxnAsync(txn, cancellationToken: cancellationToken);
            var revision = response.Header.Revision;
            return response.Succeeded
                ? new WriteResult(WriteStatus.Ok, revision, new KeyValue(key, value, revision, revision, 1, lease))
                : new WriteResult(WriteStatus.KeyExists, revision, FirstOrNull(response.Responses[0].ResponseRange));
        }
        catch (RpcException e) when (EtcdErrors.IsLeaseNotFound(e))
        {
            return new WriteResult(WriteStatus.LeaseNotFound, 0, null);
        }
    }

    public async Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, long lease, CancellationToken cancellationToken)
    {
        if ((StoreLimits.ValidateKey(key) ?? StoreLimits.ValidateValue(value)) is { } error)
            return WriteResult.Invalid(error);
        var k = Key(key);
        var txn = new TxnRequest
        {
            Compare = { Exists(k), new Compare { Key = k, Target = CompareTarget.Mod, Result = CompareResult.Equal, ModRevision = expectedModRevision } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = UnsafeByteOperations.UnsafeWrap(value), Lease = lease, PrevKv = true } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        try
        {
            var response = await _kv.TxnAsync(txn, cancellationToken: cancellationToken);
            var revision = response.Header.Revision;
            if (!response.Succeeded)
                return Refused(response);
            var previous = response.Responses[0].ResponsePut.PrevKv;
            return new WriteResult(WriteStatus.Ok, revision, new KeyValue(key, value, previous.CreateRevision, revision, previous.Version + 1, lease));
        }
        catch (RpcException e) when (EtcdErrors.IsLeaseNotFound(e))
        {
            return new WriteResult(WriteStatus.LeaseNotFound, 0, null);
        }
    }

    public async Task<WriteResult> DeleteAsync(string key, long? expectedModRevision, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidateKey(key) is { } error)
            return WriteResult.Invalid(error);
        var k = Key(key);
        var txn = new TxnRequest
        {
            Compare = { Exists(k) },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = k, PrevKv = true } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        if (expectedModRevision is { } expected)
            txn.Compare.Add(new Compare { Key = k, Target = CompareTarget.Mod, Result = CompareResult.Equal, ModRevision = expected });

        var response = await _kv.TxnAsync(txn, cancellationToken: cancellationToken);
        if (!response.Succeeded)
            return Refused(response);
        return new WriteResult(WriteStatus.Ok, response.Header.Revision, ToKeyValue(response.Responses[0].ResponseDeleteRange.PrevKvs[0]));
    }

    public async Task<GetResult> GetAsync(string key, long revision, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidateKey(key) is { } error)
            return new GetResult(ReadStatus.Invalid, null, 0, error);
        try
        {
            var response = await _kv.RangeAsync(new RangeRequest { Key = Key(key), Revision = revision }, cancellationToken: cancellationToken);
            return new GetResult(ReadStatus.Ok, FirstOrNull(response), revision != 0 ? revision : response.Header.Revision);
        }
        catch (RpcException e) when (ReadFailure(e) is { } status)
        {
            return new GetResult(status, null, 0);
        }
    }

    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            return ListResult.Failed(ReadStatus.Invalid, 0, error);
        var start = options.StartKey is { } startKey && string.CompareOrdinal(startKey, prefix) > 0 ? startKey : prefix;
        var request = new RangeRequest
        {
            Key = Key(start),
            RangeEnd = Key(StoreLimits.PrefixEnd(prefix)),
            Limit = options.Limit,
            Revision = options.Revision,
        };
        try
        {
            var response = await _kv.RangeAsync(request, cancellationToken: cancellationToken);
            var items = response.Kvs.Select(ToKeyValue).ToList();
            var revision = options.Revision != 0 ? options.Revision : response.Header.Revision;
            return new ListResult(ReadStatus.Ok, items, revision, response.More && items.Count > 0 ? items[^1].Key + "\0" : null);
        }
        catch (RpcException e) when (ReadFailure(e) is { } status)
        {
            return ListResult.Failed(status, 0);
        }
    }

    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            throw new ArgumentException(error, nameof(prefix));
        var response = await _kv.RangeAsync(
            new RangeRequest { Key = Key(prefix), RangeEnd = Key(StoreLimits.PrefixEnd(prefix)), CountOnly = true },
            cancellationToken: cancellationToken);
        return response.Count;
    }

    public async IAsyncEnumerable<WatchResponse> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (StoreLimits.ValidatePrefix(prefix) is { } error)
            throw new ArgumentException(error, nameof(prefix));
        using var call = _watch.Watch(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest
            {
                Key = Key(prefix),
                RangeEnd = Key(StoreLimits.PrefixEnd(prefix)),
                StartRevision = afterRevision + 1,
                PrevKv = true,
                ProgressNotify = true,
            },
        }, cancellationToken);

        _openWatches.TryAdd(call.RequestStream, 0);
        try
        {
            await foreach (var response in ReadWatchAsync(call.ResponseStream, prefix, cancellationToken))
                yield return response;
        }
        finally
        {
            _openWatches.TryRemove(call.RequestStream, out _);
        }
    }

    public void RequestWatchProgress()
    {
        foreach (var stream in _openWatches.Keys)
            _ = RequestProgressAsync(stream);
    }

    private static async Task RequestProgressAsync(IClientStreamWriter<WatchRequest> stream)
    {
        try
        {
            await stream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
        }
        catch (InvalidOperationException)
        {
            // Another request is being written on this stream (its answer serves this one too), or the watch ended.
        }
        catch (RpcException)
        {
            // The watch ended; its owner lists again.
        }
    }

    private static async IAsyncEnumerable<WatchResponse> ReadWatchAsync(IAsyncStreamReader<Etcdserverpb.WatchResponse> stream, string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await NextAsync(stream, cancellationToken))
        {
            var response = stream.Current;
            if (response.CompactRevision != 0)
            {
                yield return WatchResponse.Compacted(response.CompactRevision);
                yield break;
            }
            if (response.Canceled)
                throw new InvalidOperationException($"etcd cancelled the watch on {prefix}: {response.CancelReason}");
            if (response.Created)
                continue;
            if (response.Events.Count == 0)
            {
                yield return WatchResponse.Progress(response.Header.Revision);
                continue;
            }
            var events = response.Events.Select(ToWatchEvent).ToList();
            yield return new WatchResponse(events[^1].Revision, events);
        }
    }

    public async Task<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken)
    {
        try
        {
            // Physical: return once etcd has removed the history, as the SQLite store's callers can wait for.
            await _kv.CompactAsync(new CompactionRequest { Revision = revision, Physical = true }, cancellationToken: cancellationToken);
            InterlockedMax(ref _compactRevision, revision);
            return new CompactResult(CompactStatus.Ok, revision);
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            return new CompactResult(CompactStatus.AlreadyCompacted, Volatile.Read(ref _compactRevision));
        }
        catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
        {
            return new CompactResult(CompactStatus.FutureRevision, Volatile.Read(ref _compactRevision));
        }
    }

    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var response = await _lease.LeaseGrantAsync(
            new LeaseGrantRequest { TTL = Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds)) },
            cancellationToken: cancellationToken);
        return response.ID;
    }

    public async Task<bool> RevokeLeaseAsync(long lease, CancellationToken cancellationToken)
    {
        try
        {
            await _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, cancellationToken: cancellationToken);
            return true;
        }
        catch (RpcException e) when (EtcdErrors.IsLeaseNotFound(e))
        {
            return false;
        }
    }

    public async Task<long> GetRevisionAsync(CancellationToken cancellationToken)
    {
        // A linearizable read of one key that never exists: its header carries the current revision.
        var response = await _kv.RangeAsync(new RangeRequest { Key = Key("/registry/health-probe"), CountOnly = true }, cancellationToken: cancellationToken);
        return response.Header.Revision;
    }

    public async Task<StoreStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var status = await _maintenance.StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
        return new StoreStatus(status.Header.Revision, Volatile.Read(ref _compactRevision), status.DbSize);
    }

    /// <summary>Defragments the member, returning the space compaction freed to the file system (etcd does not do it by itself).</summary>
    public async Task DefragmentAsync(CancellationToken cancellationToken) =>
        await _maintenance.DefragmentAsync(new DefragmentRequest(), cancellationToken: cancellationToken);

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<bool> NextAsync(IAsyncStreamReader<Etcdserverpb.WatchResponse> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static WriteResult Refused(TxnResponse response)
    {
        var current = FirstOrNull(response.Responses[0].ResponseRange);
        return new WriteResult(current is null ? WriteStatus.NotFound : WriteStatus.Conflict, response.Header.Revision, current);
    }

    private static ReadStatus? ReadFailure(RpcException e) =>
        EtcdErrors.IsCompacted(e) ? ReadStatus.Compacted
        : EtcdErrors.IsFutureRevision(e) ? ReadStatus.FutureRevision
        : null;

    private static Compare Exists(ByteString key) =>
        new() { Key = key, Target = CompareTarget.Create, Result = CompareResult.Greater, CreateRevision = 0 };

    private static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    private static KeyValue? FirstOrNull(RangeResponse response) => response.Kvs.Count == 0 ? null : ToKeyValue(response.Kvs[0]);

    private static KeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.Memory, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    private static WatchEvent ToWatchEvent(Mvccpb.Event e) => new(
        e.Type == Mvccpb.Event.Types.EventType.Delete ? WatchEventType.Delete : WatchEventType.Put,
        ToKeyValue(e.Kv),
        e.PrevKv is null || (e.Type == Mvccpb.Event.Types.EventType.Put && e.Kv.Version == 1) ? null : ToKeyValue(e.PrevKv));

    private static void InterlockedMax(ref long location, long value)
    {
        var seen = Volatile.Read(ref location);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
                return;
            seen = previous;
        }
    }
}
