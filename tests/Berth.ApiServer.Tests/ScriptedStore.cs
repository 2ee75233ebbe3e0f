using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Berth.Storage;

namespace Berth.ApiServer.Tests;

/// <summary>
/// A store whose list is empty at revision 1 and whose watch yields exactly the responses a test feeds it, so a test
/// can put the watch cache in situations a real store produces only by timing (several changes in one response).
/// </summary>
internal sealed class ScriptedStore : IStore
{
    private readonly Channel<WatchResponse> _responses = Channel.CreateUnbounded<WatchResponse>();

    public void Feed(WatchResponse response) => _responses.Writer.TryWrite(response);

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken) =>
        Task.FromResult(new ListResult(ReadStatus.Ok, [], 1, null));

    public async IAsyncEnumerable<WatchResponse> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var response in _responses.Reader.ReadAllAsync(cancellationToken))
            yield return response;
    }

    public Task<long> GetRevisionAsync(CancellationToken cancellationToken) => Task.FromResult(1L);

    /// <summary>The revision a requested progress report carries (none while 0): writes elsewhere, in the script's world.</summary>
    public long ProgressRevision { get; set; }

    public void RequestWatchProgress()
    {
        if (ProgressRevision > 0)
            Feed(WatchResponse.Progress(ProgressRevision));
    }

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, long lease, CancellationToken cancellationToken) => throw Unused();

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, long lease, CancellationToken cancellationToken) => throw Unused();

    public Task<WriteResult> DeleteAsync(string key, long? expectedModRevision, CancellationToken cancellationToken) => throw Unused();

    public Task<GetResult> GetAsync(string key, long revision, CancellationToken cancellationToken) => throw Unused();

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) => throw Unused();

    public Task<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken) => throw Unused();

    public Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken) => throw Unused();

    public Task<bool> RevokeLeaseAsync(long lease, CancellationToken cancellationToken) => throw Unused();

    public Task<StoreStatus> GetStatusAsync(CancellationToken cancellationToken) => throw Unused();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InvalidOperationException Unused([CallerMemberName] string operation = "") =>
        new($"the watch cache is not expected to call {operation}");
}
