// bench scheduler: `bin/berth server --simulated-nodes N` for each `N:P` given (default 5000:10000), then P pods with
// CPU and memory requests and no node (upstream's SchedulingBasic), created 32 at a time through the API. A watch
// notes when each pod is bound; the figures are pods bound per second (first create to last binding) and the p99 from
// a pod's create to its binding. Prints the figures, then one final line per run `bench scheduler: key=value ...`.
// See docs/benchmarks.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => !char.IsAsciiDigit(a[0])) ?? "bin/berth");
var runs = args.Where(a => char.IsAsciiDigit(a[0]))
    .Select(a => a.Split(':') is [var n, var p] ? (Nodes: Number(n), Pods: Number(p)) : (Nodes: Number(a), Pods: 10_000))
    .DefaultIfEmpty((Nodes: 5_000, Pods: 10_000)).ToList();
var lines = new List<string>();

foreach (var (nodes, pods) in runs)
{
    await using var server = await BerthServerProcess.StartAsync(binary, "--simulated-nodes", nodes.ToString(CultureInfo.InvariantCulture));
    using var client = server.CreateClient();
    client.Timeout = Timeout.InfiniteTimeSpan;
    await WaitForNodesAsync(client, nodes + 1);
    Console.WriteLine($"  {nodes} hollow nodes Ready");

    var clock = Stopwatch.StartNew();
    var created = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
    var bound = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
    using var stopWatching = new CancellationTokenSource();
    var watching = WatchBindingsAsync(client, bound, clock, stopWatching.Token);
    await Parallel.ForEachAsync(Enumerable.Range(0, pods), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
    {
        var name = $"basic-{i}";
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME"},"spec":{"containers":[{"name":"app","image":"registry.local/app:1","resources":{"requests":{"cpu":"100m","memory":"500Mi"}}}]}}"""
            .Replace("NAME", name, StringComparison.Ordinal);
        using var content = new StringContent(pod, System.Text.Encoding.UTF8, "application/json");
        created[name] = clock.Elapsed;
        using var response = await client.PostAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    });
    Console.WriteLine($"  {pods} pods created in {clock.Elapsed.TotalSeconds:F1} s");
    while (bound.Count < pods)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(15))
            throw new TimeoutException($"only {bound.Count} of {pods} pods were bound after 15 minutes");
        await Task.Delay(100);
    }
    await stopWatching.CancelAsync();
    await watching;

    var last = bound.Values.Max();
    var podsPerSecond = pods / last.TotalSeconds;
    var latencies = created.Select(c => (bound[c.Key] - c.Value).TotalMilliseconds).Order().ToList();
    var p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
    Console.WriteLine($"  all bound {last.TotalSeconds:F1} s after the first create: {podsPerSecond:F0} pods/s, create-to-bind p50 {latencies[latencies.Count / 2]:F0} ms, p99 {p99:F0} ms");
    lines.Add(string.Create(CultureInfo.InvariantCulture, $"bench scheduler: nodes={nodes} pods={pods} pods_per_s={podsPerSecond:F0} p99_ms={p99:F0}"));
}
foreach (var line in lines)
    Console.WriteLine(line);

static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

// Notes the moment each pod in default is first seen with a node.
static async Task WatchBindingsAsync(HttpClient client, ConcurrentDictionary<string, TimeSpan> bound, Stopwatch clock, CancellationToken cancellationToken)
{
    try
    {
        using var response = await client.GetAsync(new Uri("/api/v1/namespaces/default/pods?watch=1", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            using var e = JsonDocument.Parse(line);
            var pod = e.RootElement.GetProperty("object");
            if (pod.GetProperty("spec").TryGetProperty("nodeName", out var node) && node.GetString() is { Length: > 0 })
                bound.TryAdd(pod.GetProperty("metadata").GetProperty("name").GetString()!, clock.Elapsed);
        }
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
    }
}

static async Task WaitForNodesAsync(HttpClient client, int expected)
{
    var started = Stopwatch.StartNew();
    while (true)
    {
        var ready = await ReadyNodes.CountAsync(client);
        if (ready >= expected)
            return;
        if (started.Elapsed > TimeSpan.FromMinutes(10))
            throw new TimeoutException($"only {ready} of {expected} nodes were Ready after 10 minutes");
        await Task.Delay(250);
    }
}
