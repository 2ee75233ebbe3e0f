// bench nodes: `bin/berth server --simulated-nodes N` for each N given (default 1000): how long until every node is
// Ready, then over 60 s of idling the server's CPU, its RSS, and the API requests per second the heartbeats cost.
// Prints the figures, then one final line per run `bench nodes: key=value ...`. See docs/benchmarks.md.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => !char.IsAsciiDigit(a[0])) ?? "bin/berth");
var counts = args.Where(a => char.IsAsciiDigit(a[0])).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).DefaultIfEmpty(1_000).ToList();
var idle = TimeSpan.FromSeconds(60);
var lines = new List<string>();

foreach (var count in counts)
{
    var started = Stopwatch.StartNew();
    await using var server = await BerthServerProcess.StartAsync(binary, "--simulated-nodes", count.ToString(CultureInfo.InvariantCulture));
    using var client = server.CreateClient();
    // The server's own node registers too.
    var expected = count + 1;
    using (var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(250)))
    {
        while (await ReadyNodesAsync(client) < expected)
        {
            if (started.Elapsed > TimeSpan.FromMinutes(10))
                throw new TimeoutException($"only some of {expected} nodes were Ready after 10 minutes");
            await poll.WaitForNextTickAsync();
        }
    }
    var readySeconds = started.Elapsed.TotalSeconds;
    Console.WriteLine($"  {count} hollow nodes: all {expected} nodes Ready after {readySeconds:F1} s");

    var requestsBefore = await RequestCountAsync(client);
    var cpuBefore = server.CpuTime();
    var clock = Stopwatch.StartNew();
    await Task.Delay(idle);
    var cpuPercent = (server.CpuTime() - cpuBefore) / clock.Elapsed * 100;
    var requestsPerSecond = (await RequestCountAsync(client) - requestsBefore) / clock.Elapsed.TotalSeconds;
    var rssMb = server.RssBytes() / (1024.0 * 1024);
    Console.WriteLine($"  idle over {idle.TotalSeconds:F0} s: CPU {cpuPercent:F1}% of one core, {requestsPerSecond:F1} API requests/s, RSS {rssMb:F0} MB");
    lines.Add(string.Create(CultureInfo.InvariantCulture,
        $"bench nodes: nodes={count} ready_s={readySeconds:F1} idle_cpu_pct={cpuPercent:F1} rss_mb={rssMb:F0} heartbeat_requests_per_s={requestsPerSecond:F1}"));
}
foreach (var line in lines)
    Console.WriteLine(line);

// Nodes whose Ready condition is True.
static async Task<int> ReadyNodesAsync(HttpClient client)
{
    using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/nodes", UriKind.Relative)));
    return document.RootElement.GetProperty("items").EnumerateArray().Count(node =>
        node.GetProperty("status").TryGetProperty("conditions", out var conditions) &&
        conditions.EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True"));
}

// Every request the server has answered, from its own metrics (apiserver_request_total).
static async Task<double> RequestCountAsync(HttpClient client)
{
    var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    return text.Split('\n')
        .Where(l => l.StartsWith("apiserver_request_total{", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
