// bench nodes: `bin/berth server --simulated-nodes N` for each N given (default 1000; `N:P` puts P pods on each hollow
// node): how long until every node is Ready, then how long until every pod runs, then over 60 s of idling the server's
// CPU, its RSS, and the API requests per second the heartbeats cost. Prints the figures, then one final line per run
// `bench nodes: key=value ...`. See docs/benchmarks.md.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => !char.IsAsciiDigit(a[0])) ?? "bin/berth");
var runs = args.Where(a => char.IsAsciiDigit(a[0]))
    .Select(a => a.Split(':') is [var n, var p] ? (Nodes: Number(n), PodsPerNode: Number(p)) : (Nodes: Number(a), PodsPerNode: 0))
    .DefaultIfEmpty((Nodes: 1_000, PodsPerNode: 0)).ToList();
var idle = TimeSpan.FromSeconds(60);
var lines = new List<string>();

foreach (var (count, podsPerNode) in runs)
{
    var started = Stopwatch.StartNew();
    await using var server = await BerthServerProcess.StartAsync(binary, "--runtime", "simulated", "--simulated-nodes", count.ToString(CultureInfo.InvariantCulture),
        // Room for a /24 per node beyond the default /16's 256.
        "--cluster-cidr", "10.64.0.0/10");
    using var client = server.CreateClient();
    // The server's own node registers too.
    var expected = count + 1;
    using (var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(250)))
    {
        while (await ReadyNodes.CountAsync(client) < expected)
        {
            if (started.Elapsed > TimeSpan.FromMinutes(10))
                throw new TimeoutException($"only some of {expected} nodes were Ready after 10 minutes");
            await poll.WaitForNextTickAsync();
        }
    }
    var readySeconds = started.Elapsed.TotalSeconds;
    Console.WriteLine($"  {count} hollow nodes: all {expected} nodes Ready after {readySeconds:F1} s");

    var podsSeconds = 0.0;
    if (podsPerNode > 0)
    {
        var placing = Stopwatch.StartNew();
        await CreatePodsAsync(client, count, podsPerNode);
        Console.WriteLine($"  {count * podsPerNode} pods created in {placing.Elapsed.TotalSeconds:F1} s");
        using var poll = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await RunningPodsAsync(client) < count * podsPerNode)
        {
            if (placing.Elapsed > TimeSpan.FromMinutes(10))
                throw new TimeoutException($"not all of {count * podsPerNode} pods were Running after 10 minutes");
            await poll.WaitForNextTickAsync();
        }
        podsSeconds = placing.Elapsed.TotalSeconds;
        Console.WriteLine($"  all {count * podsPerNode} pods Running {podsSeconds:F1} s after the first was created");
    }

    var requestsBefore = await RequestCountAsync(client);
    var cpuBefore = server.CpuTime();
    var clock = Stopwatch.StartNew();
    await Task.Delay(idle);
    var cpuPercent = (server.CpuTime() - cpuBefore) / clock.Elapsed * 100;
    var requestsPerSecond = (await RequestCountAsync(client) - requestsBefore) / clock.Elapsed.TotalSeconds;
    var rssMb = server.RssBytes() / (1024.0 * 1024);
    Console.WriteLine($"  idle over {idle.TotalSeconds:F0} s: CPU {cpuPercent:F1}% of one core, {requestsPerSecond:F1} API requests/s, RSS {rssMb:F0} MB");
    lines.Add(string.Create(CultureInfo.InvariantCulture,
        $"bench nodes: nodes={count} pods={count * podsPerNode} ready_s={readySeconds:F1} pods_running_s={podsSeconds:F1} idle_cpu_pct={cpuPercent:F1} rss_mb={rssMb:F0} heartbeat_requests_per_s={requestsPerSecond:F1}"));
}
foreach (var line in lines)
    Console.WriteLine(line);

static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

// P pods bound to each hollow node (nodeName set: no scheduler involved), created 32 at a time.
static async Task CreatePodsAsync(HttpClient client, int nodes, int podsPerNode)
{
    await Parallel.ForEachAsync(Enumerable.Range(0, nodes * podsPerNode), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
    {
        var pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"idle-I"},"spec":{"nodeName":"sim-N","containers":[{"name":"app","image":"registry.local/app:1","resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}}"""
            .Replace("idle-I", $"idle-{i}", StringComparison.Ordinal).Replace("sim-N", $"sim-{i % nodes}", StringComparison.Ordinal);
        using var content = new StringContent(pod, System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    });
}

// Pods whose phase is Running, counted from a paged list.
static async Task<int> RunningPodsAsync(HttpClient client)
{
    var running = 0;
    string? next = null;
    do
    {
        var url = "/api/v1/pods?limit=5000" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
        using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri(url, UriKind.Relative)));
        running += document.RootElement.GetProperty("items").EnumerateArray()
            .Count(p => p.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) && phase.GetString() == "Running");
        next = document.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
    }
    while (!string.IsNullOrEmpty(next));
    return running;
}

// Every request the server has answered, from its own metrics (apiserver_request_total).
static async Task<double> RequestCountAsync(HttpClient client)
{
    var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    return text.Split('\n')
        .Where(l => l.StartsWith("apiserver_request_total{", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
