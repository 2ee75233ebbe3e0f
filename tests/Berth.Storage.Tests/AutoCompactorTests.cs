using Berth.Storage.Compaction;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Storage.Tests;

public sealed class AutoCompactorTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("compactor");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private SqliteStore? _store;
    private long _revision;

    private SqliteStore Store => _store!;

    public Task InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { Path = _directory.File("state.db"), TimeProvider = _time });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Tick_KeepsFiveMinutesAndAThousandRevisionsOfHistory()
    {
        var compactor = new AutoCompactor(Store, new CompactionPolicy(), _time, NullLogger<AutoCompactor>.Instance);
        await WriteAsync(1500);
        await compactor.TickAsync(CancellationToken.None);
        Assert.Equal(0, (await Store.GetStatusAsync(CancellationToken.None)).CompactRevision);

        // Five minutes on, the first sample (1500) is old enough, but only 10 revisions have happened since:
        // keeping a thousand revisions wins.
        _time.Advance(TimeSpan.FromMinutes(5));
        await WriteAsync(10);
        await compactor.TickAsync(CancellationToken.None);
        Assert.Equal(510, (await Store.GetStatusAsync(CancellationToken.None)).CompactRevision);

        // Another five minutes and two thousand revisions: the five-minute-old sample (1510) wins.
        _time.Advance(TimeSpan.FromMinutes(5));
        await WriteAsync(2000);
        await compactor.TickAsync(CancellationToken.None);
        Assert.Equal(1510, (await Store.GetStatusAsync(CancellationToken.None)).CompactRevision);
    }

    private async Task WriteAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var key = $"/registry/t/{_revision % 10}";
            _revision++;
            var result = _revision <= 10
                ? await Store.CreateAsync(key, new byte[1], 0, CancellationToken.None)
                : await Store.UpdateAsync(key, new byte[1], (await Store.GetAsync(key, 0, CancellationToken.None)).Kv!.ModRevision, 0, CancellationToken.None);
            Assert.Equal(_revision, result.Revision);
        }
    }
}
