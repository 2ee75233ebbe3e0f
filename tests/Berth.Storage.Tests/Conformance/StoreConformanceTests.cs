using System.Collections.Concurrent;
using System.Text;

namespace Berth.Storage.Tests.Conformance;

/// <summary>
/// The store contract, run unchanged against every backend: each backend's test class only says how to make
/// a <see cref="IStoreHarness"/>. Every test works under its own key prefix and compares revisions only
/// relative to ones it observed.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _testTimeout = new(TimeSpan.FromMinutes(3));
    private IStoreHarness? _harness;

    protected string P { get; } = $"/registry/conformance/{Guid.NewGuid():N}/";

    protected IStore Store => _harness!.Store;

    protected CancellationToken Ct => _testTimeout.Token;

    public async Task InitializeAsync() => _harness = await CreateHarnessAsync();

    public async Task DisposeAsync()
    {
        if (_harness is not null)
            await _harness.DisposeAsync();
        _testTimeout.Dispose();
    }

    /// <summary>A harness whose store sends idle watchers progress at least every second.</summary>
    protected abstract Task<IStoreHarness> CreateHarnessAsync();

    // ---- create, update, delete -------------------------------------------------------------------------------

    [Fact]
    public async Task Create_WhenKeyAbsent_ThenRevisionAdvancesByOne()
    {
        var before = (await Store.GetStatusAsync(Ct)).Revision;

        var result = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        Assert.Equal(WriteStatus.Ok, result.Status);
        Assert.Equal(before + 1, result.Revision);
        Assert.Equal(new KeyValue(P + "a", default, before + 1, before + 1, 1, 0), result.Kv! with { Value = default });
        Assert.Equal("one", Text(result.Kv!));
        Assert.Equal(before + 1, (await Store.GetStatusAsync(Ct)).Revision);
    }

    [Fact]
    public async Task GetRevision_IsTheRevisionOfTheLastAcknowledgedWrite()
    {
        var written = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        Assert.Equal(written.Revision, await Store.GetRevisionAsync(Ct));
        Assert.Equal(written.Revision, (await Store.GetStatusAsync(Ct)).Revision);
    }

    [Fact]
    public async Task Create_WhenKeyExists_ThenKeyExistsWithCurrentValue()
    {
        var first = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        var second = await Store.CreateAsync(P + "a", Bytes("two"), 0, Ct);

        Assert.Equal(WriteStatus.KeyExists, second.Status);
        Assert.Equal(first.Revision, second.Kv!.ModRevision);
        Assert.Equal("one", Text(second.Kv));
        Assert.Equal(first.Revision, (await Store.GetStatusAsync(Ct)).Revision);
    }

    [Fact]
    public async Task Update_WhenModRevisionMatches_ThenNewVersionKeepsCreateRevision()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        var updated = await Store.UpdateAsync(P + "a", Bytes("two"), created.Revision, 0, Ct);

        Assert.Equal(WriteStatus.Ok, updated.Status);
        Assert.Equal(created.Revision + 1, updated.Revision);
        Assert.Equal(created.Revision, updated.Kv!.CreateRevision);
        Assert.Equal(updated.Revision, updated.Kv.ModRevision);
        Assert.Equal(2, updated.Kv.Version);
        var read = await Store.GetAsync(P + "a", 0, Ct);
        Assert.Equal("two", Text(read.Kv!));
        Assert.Equal(2, read.Kv!.Version);
    }

    [Fact]
    public async Task Update_WhenModRevisionStale_ThenConflictWithCurrentValue()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);
        var updated = await Store.UpdateAsync(P + "a", Bytes("two"), created.Revision, 0, Ct);

        var stale = await Store.UpdateAsync(P + "a", Bytes("three"), created.Revision, 0, Ct);

        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(updated.Revision, stale.Kv!.ModRevision);
        Assert.Equal("two", Text(stale.Kv));
        Assert.Equal("two", Text((await Store.GetAsync(P + "a", 0, Ct)).Kv!));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    public async Task Update_WhenKeyAbsent_ThenNotFoundAndNothingCreated(long expected)
    {
        var result = await Store.UpdateAsync(P + "missing", Bytes("x"), expected, 0, Ct);

        Assert.Equal(WriteStatus.NotFound, result.Status);
        Assert.Null((await Store.GetAsync(P + "missing", 0, Ct)).Kv);
    }

    [Fact]
    public async Task Delete_WhenUnguarded_ThenGoneAndReturnsLastValue()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        var deleted = await Store.DeleteAsync(P + "a", null, Ct);

        Assert.Equal(WriteStatus.Ok, deleted.Status);
        Assert.Equal(created.Revision + 1, deleted.Revision);
        Assert.Equal("one", Text(deleted.Kv!));
        Assert.Equal(created.Revision, deleted.Kv!.ModRevision);
        Assert.Null((await Store.GetAsync(P + "a", 0, Ct)).Kv);
    }

    [Fact]
    public async Task Delete_WhenModRevisionStale_ThenConflictAndKeyKept()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);
        await Store.UpdateAsync(P + "a", Bytes("two"), created.Revision, 0, Ct);

        var result = await Store.DeleteAsync(P + "a", created.Revision, Ct);

        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.Equal("two", Text(result.Kv!));
        Assert.NotNull((await Store.GetAsync(P + "a", 0, Ct)).Kv);
    }

    [Fact]
    public async Task Delete_WhenGuardMatches_ThenDeleted()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);

        var result = await Store.DeleteAsync(P + "a", created.Revision, Ct);

        Assert.Equal(WriteStatus.Ok, result.Status);
        Assert.Null((await Store.GetAsync(P + "a", 0, Ct)).Kv);
    }

    [Fact]
    public async Task Delete_WhenKeyAbsent_ThenNotFound()
    {
        var before = (await Store.GetStatusAsync(Ct)).Revision;

        var result = await Store.DeleteAsync(P + "missing", null, Ct);

        Assert.Equal(WriteStatus.NotFound, result.Status);
        Assert.Equal(before, (await Store.GetStatusAsync(Ct)).Revision);
    }

    [Fact]
    public async Task Create_AfterDelete_ThenNewIncarnationStartsAtVersionOne()
    {
        await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);
        await Store.DeleteAsync(P + "a", null, Ct);

        var again = await Store.CreateAsync(P + "a", Bytes("two"), 0, Ct);

        Assert.Equal(WriteStatus.Ok, again.Status);
        Assert.Equal(again.Revision, again.Kv!.CreateRevision);
        Assert.Equal(1, again.Kv.Version);
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Get_AtPastRevisions_ThenValueAsOfEach()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("one"), 0, Ct);
        var updated = await Store.UpdateAsync(P + "a", Bytes("two"), created.Revision, 0, Ct);
        var deleted = await Store.DeleteAsync(P + "a", null, Ct);

        Assert.Null((await Store.GetAsync(P + "a", created.Revision - 1, Ct)).Kv);
        Assert.Equal("one", Text((await Store.GetAsync(P + "a", created.Revision, Ct)).Kv!));
        var atUpdate = await Store.GetAsync(P + "a", updated.Revision, Ct);
        Assert.Equal("two", Text(atUpdate.Kv!));
        Assert.Equal(updated.Revision, atUpdate.Revision);
        Assert.Null((await Store.GetAsync(P + "a", deleted.Revision, Ct)).Kv);
    }

    [Fact]
    public async Task Get_AtFutureRevision_ThenFutureRevision()
    {
        var current = (await Store.GetStatusAsync(Ct)).Revision;

        var result = await Store.GetAsync(P + "a", current + 1000, Ct);

        Assert.Equal(ReadStatus.FutureRevision, result.Status);
    }

    [Fact]
    public async Task List_WhenPaged_ThenEveryPageReadsAtTheFirstPagesRevision()
    {
        for (var i = 0; i < 25; i++)
            await Store.CreateAsync($"{P}item-{i:D2}", Bytes($"v{i}"), 0, Ct);

        var first = await Store.ListAsync(P, new ListOptions(Limit: 10), Ct);
        // Change the data between pages: later pages must not see it.
        await Store.DeleteAsync($"{P}item-15", null, Ct);
        await Store.CreateAsync($"{P}item-12a", Bytes("new"), 0, Ct);
        var item20 = (await Store.GetAsync($"{P}item-20", 0, Ct)).Kv!;
        await Store.UpdateAsync($"{P}item-20", Bytes("changed"), item20.ModRevision, 0, Ct);

        var pages = new List<ListResult> { first };
        while (pages[^1].More)
            pages.Add(await Store.ListAsync(P, new ListOptions(first.Revision, 10, pages[^1].ContinueKey), Ct));

        Assert.Equal([10, 10, 5], pages.Select(p => p.Items.Count));
        Assert.All(pages, p => Assert.Equal(first.Revision, p.Revision));
        var items = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"{P}item-{i:D2}"), items.Select(kv => kv.Key));
        Assert.Equal("v20", Text(items[20]));

        var now = await Store.ListAsync(P, ListOptions.All, Ct);
        Assert.Equal(25, now.Items.Count);
        Assert.False(now.More);
        Assert.Contains(now.Items, kv => kv.Key == $"{P}item-12a");
        Assert.DoesNotContain(now.Items, kv => kv.Key == $"{P}item-15");
    }

    [Fact]
    public async Task List_OnlyReturnsKeysUnderThePrefix()
    {
        await Store.CreateAsync(P + "pods/a", Bytes("1"), 0, Ct);
        await Store.CreateAsync(P + "pods/b", Bytes("2"), 0, Ct);
        await Store.CreateAsync(P + "pods0", Bytes("3"), 0, Ct);
        await Store.CreateAsync(P + "podsx/c", Bytes("4"), 0, Ct);

        var list = await Store.ListAsync(P + "pods/", ListOptions.All, Ct);

        Assert.Equal([P + "pods/a", P + "pods/b"], list.Items.Select(kv => kv.Key));
        Assert.Equal(2, await Store.CountAsync(P + "pods/", Ct));
        Assert.Equal(4, await Store.CountAsync(P, Ct));
    }

    [Fact]
    public async Task List_AtCompactedRevision_ThenCompacted()
    {
        var first = await Store.CreateAsync(P + "a", Bytes("1"), 0, Ct);
        var second = await Store.UpdateAsync(P + "a", Bytes("2"), first.Revision, 0, Ct);
        Assert.Equal(CompactStatus.Ok, (await Store.CompactAsync(second.Revision, Ct)).Status);

        var result = await Store.ListAsync(P, new ListOptions(Revision: first.Revision), Ct);

        Assert.Equal(ReadStatus.Compacted, result.Status);
    }

    // ---- watch ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Watch_FromPastRevision_ThenReplaysExactlyWhatHappenedAfterIt()
    {
        var start = (await Store.CreateAsync(P + "before", Bytes("0"), 0, Ct)).Revision;
        var a = await Store.CreateAsync(P + "a", Bytes("1"), 0, Ct);
        var a2 = await Store.UpdateAsync(P + "a", Bytes("2"), a.Revision, 0, Ct);
        await Store.CreateAsync("/registry/elsewhere/" + Guid.NewGuid().ToString("N"), Bytes("x"), 0, Ct);
        var deleted = await Store.DeleteAsync(P + "a", null, Ct);

        var events = await CollectAsync(P, start, count: 3);

        Assert.Equal([a.Revision, a2.Revision, deleted.Revision], events.Select(e => e.Revision));
        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete], events.Select(e => e.Type));
        Assert.True(events[0].IsCreate);
        Assert.Equal("1", Text(events[1].PrevKv!));
        Assert.Equal("2", Text(events[1].Kv));
        Assert.Equal(P + "a", events[2].Kv.Key);
        Assert.Equal("2", Text(events[2].PrevKv!));
        Assert.Equal(a2.Revision, events[2].PrevKv!.ModRevision);
    }

    [Fact]
    public async Task Watch_WhenWritesFollow_ThenSeesThemLiveInOrder()
    {
        var start = (await Store.GetStatusAsync(Ct)).Revision;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Deadline);
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new List<WatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var response in Store.WatchAsync(P, start, cts.Token))
            {
                // A progress response means the watcher has caught up and is following live.
                if (response.IsProgress)
                    synced.TrySetResult();
                seen.AddRange(response.Events);
                if (seen.Count >= 3)
                    return;
            }
        }, cts.Token);
        await synced.Task.WaitAsync(cts.Token);

        var created = await Store.CreateAsync(P + "a", Bytes("1"), 0, Ct);
        var updated = await Store.UpdateAsync(P + "a", Bytes("2"), created.Revision, 0, Ct);
        var deleted = await Store.DeleteAsync(P + "a", null, Ct);
        await watching;

        Assert.Equal([created.Revision, updated.Revision, deleted.Revision], seen.Select(e => e.Revision));
        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete], seen.Select(e => e.Type));
    }

    [Fact]
    public async Task Watch_WhenIdle_ThenProgressCarriesTheCurrentRevision()
    {
        var written = (await Store.CreateAsync(P + "a", Bytes("1"), 0, Ct)).Revision;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Deadline);

        WatchResponse? progress = null;
        await foreach (var response in Store.WatchAsync(P, written, cts.Token))
        {
            if (response.IsProgress)
            {
                progress = response;
                break;
            }
        }

        Assert.NotNull(progress);
        Assert.True(progress.Revision >= written, $"progress at {progress.Revision} is before the last write {written}");
    }

    [Fact]
    public async Task Watch_ManyWatchersUnderConcurrentWriters_ThenEachSeesEveryEventOnceInOrder()
    {
        const int writers = 8, writesEach = 40, keys = 24, watchers = 12;
        var start = (await Store.GetStatusAsync(Ct)).Revision;
        var acked = new ConcurrentBag<long>();

        // Half the watchers start before the writes (live), half after some of them (replay, then live).
        var early = Enumerable.Range(0, watchers / 2).Select(_ => CollectRevisionsAsync(P, start, writers * writesEach)).ToList();
        var writing = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < writesEach; i++)
            {
                var key = $"{P}k{(w * writesEach + i) % keys}";
                while (true)
                {
                    var current = (await Store.GetAsync(key, 0, Ct)).Kv;
                    var result = current is null
                        ? await Store.CreateAsync(key, Bytes($"{w}:{i}"), 0, Ct)
                        : await Store.UpdateAsync(key, Bytes($"{w}:{i}"), current.ModRevision, 0, Ct);
                    if (result.Succeeded)
                    {
                        acked.Add(result.Revision);
                        break;
                    }
                }
            }
        })).ToList();
        await Task.WhenAny(writing);
        var late = Enumerable.Range(0, watchers / 2).Select(_ => CollectRevisionsAsync(P, start, writers * writesEach)).ToList();
        await Task.WhenAll(writing);

        var expected = acked.Order().ToList();
        foreach (var seen in await Task.WhenAll(early.Concat(late)))
            Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Watch_FromCompactedRevision_ThenCompactedOutcome()
    {
        var first = await Store.CreateAsync(P + "a", Bytes("1"), 0, Ct);
        var second = await Store.UpdateAsync(P + "a", Bytes("2"), first.Revision, 0, Ct);
        var third = await Store.UpdateAsync(P + "a", Bytes("3"), second.Revision, 0, Ct);
        Assert.Equal(CompactStatus.Ok, (await Store.CompactAsync(second.Revision, Ct)).Status);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Deadline);

        var responses = new List<WatchResponse>();
        // Asking for the events from first.Revision on (after first.Revision - 1) reaches before the compaction.
        await foreach (var response in Store.WatchAsync(P, first.Revision - 1, cts.Token))
            responses.Add(response);

        var only = Assert.Single(responses);
        Assert.True(only.IsCompacted);
        Assert.True(only.CompactRevision >= second.Revision);

        // From the compacted revision itself, history is still complete.
        var events = await CollectAsync(P, second.Revision, count: 1);
        Assert.Equal(third.Revision, Assert.Single(events).Revision);
        Assert.Equal("2", Text(events[0].PrevKv!));
    }

    // ---- compaction -------------------------------------------------------------------------------------------

    [Fact]
    public async Task Compact_ThenHistoryGoesAndCurrentValuesStay()
    {
        var kept = await Store.CreateAsync(P + "kept", Bytes("k"), 0, Ct);
        var changing = await Store.CreateAsync(P + "changing", Bytes("1"), 0, Ct);
        var changed = await Store.UpdateAsync(P + "changing", Bytes("2"), changing.Revision, 0, Ct);
        await Store.CreateAsync(P + "gone", Bytes("g"), 0, Ct);
        var gone = await Store.DeleteAsync(P + "gone", null, Ct);
        var after = await Store.CreateAsync(P + "after", Bytes("a"), 0, Ct);

        var result = await Store.CompactAsync(gone.Revision, Ct);

        Assert.Equal(CompactStatus.Ok, result.Status);
        Assert.Equal(ReadStatus.Compacted, (await Store.GetAsync(P + "changing", changing.Revision, Ct)).Status);
        Assert.Equal("2", Text((await Store.GetAsync(P + "changing", gone.Revision, Ct)).Kv!));
        var atCompaction = await Store.ListAsync(P, new ListOptions(Revision: gone.Revision), Ct);
        Assert.Equal([P + "changing", P + "kept"], atCompaction.Items.Select(kv => kv.Key));
        var now = await Store.ListAsync(P, ListOptions.All, Ct);
        Assert.Equal([P + "after", P + "changing", P + "kept"], now.Items.Select(kv => kv.Key));
        Assert.Equal(kept.Revision, now.Items[2].ModRevision);
        Assert.Equal(changed.Revision, now.Items[1].ModRevision);
        Assert.Equal(after.Revision, now.Items[0].CreateRevision);
        Assert.Equal(CompactStatus.AlreadyCompacted, (await Store.CompactAsync(changing.Revision, Ct)).Status);
        Assert.Equal(CompactStatus.FutureRevision, (await Store.CompactAsync(after.Revision + 1000, Ct)).Status);
    }

    // ---- consistency under concurrency ------------------------------------------------------------------------

    [Fact]
    public async Task ReadModifyWrite_WhenManyWritersShareOneKey_ThenNoUpdateIsLost()
    {
        const int writers = 16, incrementsEach = 25;
        await Store.CreateAsync(P + "counter", Bytes("0"), 0, Ct);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < incrementsEach; i++)
            {
                while (true)
                {
                    var current = (await Store.GetAsync(P + "counter", 0, Ct)).Kv!;
                    var next = int.Parse(Text(current), System.Globalization.CultureInfo.InvariantCulture) + 1;
                    var result = await Store.UpdateAsync(P + "counter", Bytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), current.ModRevision, 0, Ct);
                    if (result.Succeeded)
                        break;
                    Assert.Equal(WriteStatus.Conflict, result.Status);
                }
            }
        })));

        var final = (await Store.GetAsync(P + "counter", 0, Ct)).Kv!;
        Assert.Equal((writers * incrementsEach).ToString(System.Globalization.CultureInfo.InvariantCulture), Text(final));
        Assert.Equal(writers * incrementsEach + 1, final.Version);
    }

    [Fact]
    public async Task Restart_KeepsEveryAcknowledgedWriteAndTheRevisionCarriesOn()
    {
        var acked = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Store.CreateAsync($"{P}k{i:D2}", Bytes($"v{i}"), 0, Ct)));
        Assert.All(acked, r => Assert.Equal(WriteStatus.Ok, r.Status));
        var last = acked.Max(r => r.Revision);

        await _harness!.RestartAsync();

        var list = await Store.ListAsync(P, ListOptions.All, Ct);
        Assert.Equal(acked.OrderBy(r => r.Kv!.Key, StringComparer.Ordinal).Select(r => (r.Kv!.Key, r.Revision, Text(r.Kv))),
            list.Items.Select(kv => (kv.Key, kv.ModRevision, Text(kv))));
        var next = await Store.CreateAsync(P + "after-restart", Bytes("x"), 0, Ct);
        Assert.True(next.Revision > last, $"revision {next.Revision} after restart is not past {last}");
    }

    // ---- leases -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Lease_WhenItExpires_ThenItsKeysAreDeletedWithDeleteEvents()
    {
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromSeconds(1), Ct);
        var created = await Store.CreateAsync(P + "event", Bytes("e"), lease, Ct);
        await Store.CreateAsync(P + "durable", Bytes("d"), 0, Ct);
        Assert.Equal(lease, created.Kv!.Lease);

        var events = await CollectAsync(P, created.Revision, count: 2);

        var delete = events.Single(e => e.Kv.Key == P + "event");
        Assert.Equal(WatchEventType.Delete, delete.Type);
        Assert.Equal("e", Text(delete.PrevKv!));
        Assert.Null((await Store.GetAsync(P + "event", 0, Ct)).Kv);
        Assert.NotNull((await Store.GetAsync(P + "durable", 0, Ct)).Kv);
    }

    [Fact]
    public async Task Lease_WhenRevoked_ThenItsKeysAreDeletedAtOnce()
    {
        var lease = await Store.GrantLeaseAsync(TimeSpan.FromHours(1), Ct);
        await Store.CreateAsync(P + "a", Bytes("1"), lease, Ct);
        await Store.CreateAsync(P + "b", Bytes("2"), lease, Ct);

        Assert.True(await Store.RevokeLeaseAsync(lease, Ct));

        Assert.Equal(0, await Store.CountAsync(P, Ct));
        Assert.False(await Store.RevokeLeaseAsync(lease, Ct));
    }

    [Fact]
    public async Task Create_WithUnknownLease_ThenLeaseNotFoundAndNothingStored()
    {
        var result = await Store.CreateAsync(P + "a", Bytes("1"), 0x7eadbeef, Ct);

        Assert.Equal(WriteStatus.LeaseNotFound, result.Status);
        Assert.Null((await Store.GetAsync(P + "a", 0, Ct)).Kv);
    }

    // ---- limits -----------------------------------------------------------------------------------------------

    public static TheoryData<string> BadKeys => new()
    {
        "",
        "registry/no-leading-slash",
        "/registry/with space",
        "/registry/new\nline",
        "/registry/nul\0byte",
        "/registry/ünïcode",
        "/registry/trailing/",
        "/" + new string('k', StoreLimits.MaxKeyLength),
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Write_WhenKeyIsMalformed_ThenInvalidAndRevisionUnchanged(string key)
    {
        var before = (await Store.GetStatusAsync(Ct)).Revision;

        var created = await Store.CreateAsync(key, Bytes("x"), 0, Ct);
        var updated = await Store.UpdateAsync(key, Bytes("x"), 1, 0, Ct);
        var deleted = await Store.DeleteAsync(key, null, Ct);
        var read = await Store.GetAsync(key, 0, Ct);

        Assert.Equal(WriteStatus.Invalid, created.Status);
        Assert.Equal(WriteStatus.Invalid, updated.Status);
        Assert.Equal(WriteStatus.Invalid, deleted.Status);
        Assert.Equal(ReadStatus.Invalid, read.Status);
        Assert.False(string.IsNullOrWhiteSpace(created.Error));
        Assert.Equal(before, (await Store.GetStatusAsync(Ct)).Revision);
    }

    [Fact]
    public async Task Write_WhenValueIsOverTheLimit_ThenInvalidAndOldValueKept()
    {
        var created = await Store.CreateAsync(P + "a", Bytes("small"), 0, Ct);
        var huge = new byte[StoreLimits.MaxValueBytes + 1];

        var update = await Store.UpdateAsync(P + "a", huge, created.Revision, 0, Ct);
        var create = await Store.CreateAsync(P + "b", huge, 0, Ct);
        var atLimit = await Store.CreateAsync(P + "c", new byte[StoreLimits.MaxValueBytes - 64 * 1024], 0, Ct);

        Assert.Equal(WriteStatus.Invalid, update.Status);
        Assert.Contains("1.5 MiB", update.Error, StringComparison.Ordinal);
        Assert.Equal(WriteStatus.Invalid, create.Status);
        Assert.Equal(WriteStatus.Ok, atLimit.Status);
        Assert.Equal("small", Text((await Store.GetAsync(P + "a", 0, Ct)).Kv!));
        Assert.Null((await Store.GetAsync(P + "b", 0, Ct)).Kv);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    protected static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    protected static string Text(KeyValue kv) => Encoding.UTF8.GetString(kv.Value.Span);

    /// <summary>The first <paramref name="count"/> events under a prefix after a revision, failing after the deadline.</summary>
    protected async Task<List<WatchEvent>> CollectAsync(string prefix, long after, int count)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Deadline);
        var events = new List<WatchEvent>();
        await foreach (var response in Store.WatchAsync(prefix, after, cts.Token))
        {
            Assert.False(response.IsCompacted, $"watch from {after} was compacted at {response.CompactRevision}");
            events.AddRange(response.Events);
            if (events.Count >= count)
                return events;
        }
        throw new TimeoutException($"saw {events.Count} of {count} events under {prefix} after revision {after}");
    }

    private async Task<List<long>> CollectRevisionsAsync(string prefix, long after, int count) =>
        [.. (await CollectAsync(prefix, after, count)).Select(e => e.Revision)];
}
