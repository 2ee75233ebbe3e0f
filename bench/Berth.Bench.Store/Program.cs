// bench store: the same workload against the SQLite backend and a real etcd, in one run on one machine.
// Prints a table, then the final line `bench store: key=value ...`. See docs/benchmarks.md.
using System.Globalization;
using Berth.Bench.Store;
using Berth.Storage;
using Berth.Storage.Etcd;
using Berth.Storage.Sqlite;
using Berth.Testing;

var quick = args.Contains("--quick");
var workload = new StoreWorkload(quick ? WorkloadSize.Quick : WorkloadSize.Full);

StoreFigures sqlite, etcd;
using (var directory = new TempDirectory("bench-sqlite"))
{
    Console.WriteLine("== sqlite");
    await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("state.db") });
    SqliteStore? fresh = null;
    sqlite = await workload.RunAsync(store, () =>
    {
        fresh = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("compaction.db") });
        return Task.FromResult<(IStore, Func<Task>)>((fresh, () => fresh.WaitForCompactionAsync(CancellationToken.None)));
    });
    await fresh!.DisposeAsync();
}

await using (var etcdProcess = await EtcdProcess.StartAsync(TimeSpan.FromSeconds(5), CancellationToken.None))
await using (var freshProcess = await EtcdProcess.StartAsync(TimeSpan.FromSeconds(5), CancellationToken.None))
{
    Console.WriteLine($"== etcd ({etcdProcess.ClientUrl})");
    await using var store = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = [etcdProcess.ClientUrl] }, CancellationToken.None);
    await using var fresh = await EtcdStore.OpenAsync(new EtcdStoreOptions { Endpoints = [freshProcess.ClientUrl] }, CancellationToken.None);
    // etcd keeps freed pages until it is defragmented; that is its way of giving space back.
    etcd = await workload.RunAsync(store, () =>
        Task.FromResult<(IStore, Func<Task>)>((fresh, () => fresh.DefragmentAsync(CancellationToken.None))));
}

Console.WriteLine();
Console.WriteLine($"{"",-34}{"sqlite",14}{"etcd",14}");
foreach (var (name, s, e) in StoreFigures.Rows(sqlite, etcd))
    Console.WriteLine($"{name,-34}{s,14:0.##}{e,14:0.##}");

var figures = new (string Key, double Value)[]
{
    ("sqlite_writes_per_s", sqlite.Writes64PerSecond),
    ("etcd_writes_per_s", etcd.Writes64PerSecond),
    ("ratio", sqlite.Writes64PerSecond / etcd.Writes64PerSecond),
    ("sqlite_writes_1_per_s", sqlite.Writes1PerSecond),
    ("etcd_writes_1_per_s", etcd.Writes1PerSecond),
    ("ratio_1", sqlite.Writes1PerSecond / etcd.Writes1PerSecond),
    ("sqlite_reads_per_s", sqlite.ReadsPerSecond),
    ("etcd_reads_per_s", etcd.ReadsPerSecond),
    ("sqlite_list10k_ms", sqlite.List10kMs),
    ("etcd_list10k_ms", etcd.List10kMs),
    ("watch_p50_ms", sqlite.WatchP50Ms),
    ("watch_p99_ms", sqlite.WatchP99Ms),
    ("etcd_watch_p50_ms", etcd.WatchP50Ms),
    ("etcd_watch_p99_ms", etcd.WatchP99Ms),
    ("sqlite_db_mb", sqlite.CompactedSizeMb),
    ("etcd_db_mb", etcd.CompactedSizeMb),
    ("sqlite_compact_stall_ms", sqlite.CompactionMaxWriteMs),
    ("etcd_compact_stall_ms", etcd.CompactionMaxWriteMs),
};
Console.WriteLine("bench store: " + string.Join(' ', figures.Select(f => $"{f.Key}={f.Value.ToString(f.Value >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture)}")));
