using System.Diagnostics;
using System.Text;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Tests.Sqlite;

/// <summary>What only the SQLite backend has: a file that must be refused when damaged, and a process to kill.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("sqlite");

    private string DbPath => _directory.File("state.db");

    private static CancellationToken Ct => CancellationToken.None;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Open_WhenFileIsNotADatabase_ThenRefusesAndLeavesTheFileAlone()
    {
        var garbage = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not a database ", 400)));
        File.WriteAllBytes(DbPath, garbage);

        var error = Assert.Throws<StoreOpenException>(() => Open());

        Assert.Contains(DbPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("never recreates", error.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Open_WhenSqliteFileIsNotABerthDatastore_ThenRefuses()
    {
        using (var other = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada');";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<StoreOpenException>(() => Open());

        Assert.Contains("not a Berth datastore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_WhenPagesAreCorrupt_ThenRefuses()
    {
        await using (var store = Open())
        {
            for (var i = 0; i < 200; i++)
                await store.CreateAsync($"/registry/things/{i:D4}", new byte[2000], 0, Ct);
        }
        // Overwrite a stretch in the middle of the file (past the header and schema pages).
        using (var file = new FileStream(DbPath, FileMode.Open, FileAccess.Write))
        {
            file.Position = file.Length / 2;
            file.Write(Enumerable.Repeat((byte)0xA5, 16384).ToArray());
        }

        var error = Assert.Throws<StoreOpenException>(() => Open());

        Assert.Contains("corrupt", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Open_WhenAnotherStoreHasTheFile_ThenRefusesAsInUse()
    {
        await using var first = Open();

        var error = Assert.Throws<StoreOpenException>(() => Open());

        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigKill_WhileManyWritersWrite_ThenEveryAcknowledgedWriteSurvives()
    {
        var acked = new List<(string Key, long Revision)>();
        var writer = Path.Combine(AppContext.BaseDirectory, "Berth.Storage.CrashWriter.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { writer, DbPath, "32" })
            info.ArgumentList.Add(arg);
        using (var process = Process.Start(info)!)
        {
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                Assert.Equal("ready", await process.StandardOutput.ReadLineAsync(deadline.Token));
                while (acked.Count < 3000 && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
                    acked.Add(Parse(line));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
            }
            // Lines already printed were acknowledged before the kill; a torn last line was not.
            var rest = await process.StandardOutput.ReadToEndAsync(Ct);
            foreach (var line in rest.Split('\n').SkipLast(1))
                acked.Add(Parse(line));
            await process.WaitForExitAsync(Ct);
        }
        Assert.True(acked.Count >= 3000, $"only {acked.Count} writes were acknowledged");

        await using var store = Open();
        var stored = (await store.ListAsync("/crash/", ListOptions.All, Ct)).Items.ToDictionary(kv => kv.Key, kv => kv.ModRevision);
        Assert.All(acked, a => Assert.Equal(a.Revision, stored.GetValueOrDefault(a.Key)));
        Assert.Equal(stored.Count, stored.Values.Distinct().Count());

        static (string, long) Parse(string line)
        {
            var parts = line.Split(' ');
            return (parts[0], long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Watch_WhenWatcherFallsFarBehind_ThenItCatchesUpWithoutLosingOrRepeatingEvents()
    {
        await using var store = Open(watchBufferSize: 2);
        var start = (await store.GetStatusAsync(Ct)).Revision;
        await using var watch = store.WatchAsync("/registry/", start, Ct).GetAsyncEnumerator(Ct);
        var first = watch.MoveNextAsync();

        // The watcher reads nothing while 600 writes land in many small batches: its buffer of 2 overflows.
        var written = new List<long>();
        for (var round = 0; round < 60; round++)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
                store.CreateAsync($"/registry/slow/{round:D3}-{i}", new byte[10], 0, Ct)));
            written.AddRange(batch.Select(r => r.Revision));
        }

        var seen = new List<long>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var next = first;
        while (await next.AsTask().WaitAsync(deadline.Token))
        {
            seen.AddRange(watch.Current.Events.Select(e => e.Revision));
            if (seen.Count >= written.Count)
                break;
            next = watch.MoveNextAsync();
        }

        Assert.Equal(written.Order(), seen);
    }

    [Fact]
    public async Task RequestWatchProgress_WhenAWatchIsQuiet_ThenItHearsTheCurrentRevisionAtOnce()
    {
        await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = DbPath, WatchProgressInterval = TimeSpan.FromHours(1) });
        await Conformance.ProgressOnRequest.AssertArrivesAsync(store);
    }

    [Fact]
    public async Task Compact_AfterManyUpdates_ThenTheFileShrinks()
    {
        await using var store = Open();
        var value = new byte[4096];
        var revisions = new Dictionary<string, long>();
        for (var round = 0; round < 40; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
            {
                var key = $"/registry/big/{i:D3}";
                var result = round == 0
                    ? await store.CreateAsync(key, value, 0, Ct)
                    : await store.UpdateAsync(key, value, revisions[key], 0, Ct);
                lock (revisions)
                    revisions[key] = result.Revision;
            }));
        }
        var grown = new FileInfo(DbPath).Length;
        Assert.True(grown > 12_000_000, $"the file is only {grown} bytes after 4,000 writes of 4 KiB");

        var current = (await store.GetStatusAsync(Ct)).Revision;
        Assert.Equal(CompactStatus.Ok, (await store.CompactAsync(current, Ct)).Status);

        await store.WaitForCompactionAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30));

        // 100 live values of 4 KiB remain: well under a megabyte once the freed pages are returned.
        var shrunk = new FileInfo(DbPath).Length;
        Assert.True(shrunk < 2_000_000, $"the datastore file is {shrunk} bytes after compaction (it was {grown})");
        Assert.Equal(100, (await store.ListAsync("/registry/big/", ListOptions.All, Ct)).Items.Count);
    }

    private SqliteStore Open(int watchBufferSize = 1024) =>
        SqliteStore.Open(new SqliteStoreOptions { Path = DbPath, WatchBufferSize = watchBufferSize });
}
