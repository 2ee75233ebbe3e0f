using System.Buffers.Binary;
using System.Diagnostics;
using Berth.Storage;

namespace Berth.Bench.Store;

/// <summary>
/// The workload every backend runs: throughput and latency parts on one store, then the size and compaction
/// part on a fresh one, so that its figures cover exactly the keys it wrote.
/// </summary>
internal sealed class StoreWorkload(WorkloadSize size)
{
    private const int Writers = 64;

    public async Task<StoreFigures> RunAsync(IStore store, Func<Task<(IStore Store, Func<Task> CompactionDone)>> openFresh)
    {
        var writes1 = await SerialWritesAsync(store);
        Report("durable writes/s, 1 writer", writes1);
        var writes64 = await ConcurrentWritesAsync(store);
        Report("durable writes/s, 64 writers", writes64);
        var reads = await ReadsAsync(store);
        Report("point reads/s, 64 readers", reads);
        var list = await ListAsync(store);
        Report($"list {size.ListKeys} keys, ms", list);
        var (p50, p99) = await WatchLatencyAsync(store);
        Report($"watch p50 / p99 ms, {size.Watchers} watchers", p50, p99);
        var (fresh, compactionDone) = await openFresh();
        var (before, after, stall) = await CompactionAsync(fresh, compactionDone);
        Report($"MB after {size.Updates} updates / after compaction", before, after);
        Report("slowest write during compaction, ms", stall);
        return new StoreFigures(writes1, writes64, reads, list, p50, p99, before, after, stall);
    }

    private async Task<double> SerialWritesAsync(IStore store)
    {
        var value = new byte[256];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < size.SerialWrites; i++)
            Check(await store.CreateAsync($"/bench/serial/{i:D6}", value, 0, CancellationToken.None));
        return size.SerialWrites / watch.Elapsed.TotalSeconds;
    }

    private async Task<double> ConcurrentWritesAsync(IStore store)
    {
        var value = new byte[256];
        var each = size.ConcurrentWrites / Writers;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < each; i++)
                Check(await store.CreateAsync($"/bench/concurrent/{w:D2}/{i:D6}", value, 0, CancellationToken.None));
        })));
        return each * Writers / watch.Elapsed.TotalSeconds;
    }

    private async Task<double> ReadsAsync(IStore store)
    {
        var each = size.Reads / Writers;
        var perWriter = size.ConcurrentWrites / Writers;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(r => Task.Run(async () =>
        {
            var random = new Random(r);
            for (var i = 0; i < each; i++)
            {
                var key = $"/bench/concurrent/{random.Next(Writers):D2}/{random.Next(perWriter):D6}";
                if ((await store.GetAsync(key, 0, CancellationToken.None)).Kv is null)
                    throw new InvalidOperationException($"{key} is missing");
            }
        })));
        return each * Writers / watch.Elapsed.TotalSeconds;
    }

    private async Task<double> ListAsync(IStore store)
    {
        var value = new byte[1024];
        var each = size.ListKeys / Writers + 1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = w * each; i < Math.Min(size.ListKeys, (w + 1) * each); i++)
                Check(await store.CreateAsync($"/bench/list/{i:D6}", value, 0, CancellationToken.None));
        })));

        var timings = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            var list = await store.ListAsync("/bench/list/", ListOptions.All, CancellationToken.None);
            timings.Add(watch.Elapsed.TotalMilliseconds);
            if (list.Items.Count != size.ListKeys)
                throw new InvalidOperationException($"listed {list.Items.Count} keys, expected {size.ListKeys}");
        }
        return timings.Order().ElementAt(2);
    }

    /// <summary>
    /// Writes one key at a time and measures, for every watcher, the time from issuing the write to receiving
    /// its event (so the commit is included). The next write starts once every watcher has the previous one.
    /// </summary>
    private async Task<(double P50, double P99)> WatchLatencyAsync(IStore store)
    {
        const string key = "/bench/watch/key";
        var start = (await store.GetStatusAsync(CancellationToken.None)).Revision;
        var issuedAt = new long[size.WatchedWrites + 1];
        var samples = new double[size.Watchers * size.WatchedWrites];
        var arrivals = new int[size.WatchedWrites + 1];
        var allArrived = Enumerable.Range(0, size.WatchedWrites + 1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        using var stop = new CancellationTokenSource();

        var watchers = Enumerable.Range(0, size.Watchers).Select(w => Task.Run(async () =>
        {
            try
            {
                await foreach (var response in store.WatchAsync("/bench/watch/", start, stop.Token))
                {
                    var now = Stopwatch.GetTimestamp();
                    foreach (var e in response.Events)
                    {
                        var index = BinaryPrimitives.ReadInt32LittleEndian(e.Kv.Value.Span);
                        if (index > 0)
                            samples[(index - 1) * size.Watchers + w] = Stopwatch.GetElapsedTime(issuedAt[index], now).TotalMilliseconds;
                        if (Interlocked.Increment(ref arrivals[index]) == size.Watchers)
                            allArrived[index].TrySetResult();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();

        // Write 0 warms every watcher up (and for etcd waits out stream creation); it is not measured.
        var value = new byte[256];
        var previous = await store.CreateAsync(key, value, 0, CancellationToken.None);
        await allArrived[0].Task.WaitAsync(TimeSpan.FromMinutes(1));
        for (var index = 1; index <= size.WatchedWrites; index++)
        {
            value = new byte[256];
            BinaryPrimitives.WriteInt32LittleEndian(value, index);
            issuedAt[index] = Stopwatch.GetTimestamp();
            previous = Check(await store.UpdateAsync(key, value, previous.Revision, 0, CancellationToken.None));
            await allArrived[index].Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        await stop.CancelAsync();
        await Task.WhenAll(watchers);

        Array.Sort(samples);
        return (samples[samples.Length / 2], samples[(int)(samples.Length * 0.99)]);
    }

    /// <summary>
    /// Updates a set of keys many times, compacts everything, and measures the size on disk before and after,
    /// and the slowest write of a writer that keeps writing while compaction runs.
    /// </summary>
    private async Task<(double BeforeMb, double AfterMb, double MaxWriteMs)> CompactionAsync(IStore store, Func<Task> compactionDone)
    {
        var value = new byte[512];
        var revisions = new long[size.UpdateKeys];
        for (var k = 0; k < size.UpdateKeys; k++)
            revisions[k] = Check(await store.CreateAsync($"/bench/updates/{k:D5}", value, 0, CancellationToken.None)).Revision;
        var each = size.Updates / Writers;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            // Writer w owns the keys k with k % 64 == w, so its updates never conflict.
            var owned = Enumerable.Range(0, size.UpdateKeys).Where(k => k % Writers == w).ToArray();
            for (var i = 0; i < each; i++)
            {
                var k = owned[i % owned.Length];
                revisions[k] = Check(await store.UpdateAsync($"/bench/updates/{k:D5}", value, revisions[k], 0, CancellationToken.None)).Revision;
            }
        })));
        var before = (await store.GetStatusAsync(CancellationToken.None)).SizeBytes;

        using var stop = new CancellationTokenSource();
        var probe = Task.Run(async () =>
        {
            var slowest = 0.0;
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var watch = Stopwatch.StartNew();
                Check(await store.CreateAsync($"/bench/probe/{i:D7}", value, 0, CancellationToken.None));
                slowest = Math.Max(slowest, watch.Elapsed.TotalMilliseconds);
            }
            return slowest;
        });
        var current = (await store.GetStatusAsync(CancellationToken.None)).Revision;
        var result = await store.CompactAsync(current, CancellationToken.None);
        if (result.Status != CompactStatus.Ok)
            throw new InvalidOperationException($"compaction to {current}: {result.Status}");
        await compactionDone();
        await stop.CancelAsync();
        var maxWrite = await probe;
        var after = (await store.GetStatusAsync(CancellationToken.None)).SizeBytes;
        return (before / 1e6, after / 1e6, maxWrite);
    }

    private static WriteResult Check(WriteResult result) =>
        result.Succeeded ? result : throw new InvalidOperationException($"write failed: {result.Status} {result.Error}");

    private static void Report(string what, params double[] values) =>
        Console.WriteLine($"  {what,-44} {string.Join(" / ", values.Select(v => v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)))}");
}
