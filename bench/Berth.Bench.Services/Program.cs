// bench services: the service proxy and the cluster DNS of a real node with 1,000 Services of 10 endpoints each. A
// `berth server` without a node of its own gets the Services (no selector) and an EndpointSlice for each; then a
// `berth agent` process with the containerd runtime joins, and its proxy writes its table whole (the full resync).
// Then endpoints are changed one at a time and the time from each change to the kernel holding the new rule is
// measured (`nft list chain` polled), and the node's DNS server is queried for the Services' names from several
// sockets at once. Prints the figures and a final line `bench services: ...`. Arguments: [bin/berth] [SERVICES,
// default 1000]. See docs/benchmarks.md.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => !char.IsAsciiDigit(a[0])) ?? "bin/berth");
var services = args.FirstOrDefault(a => char.IsAsciiDigit(a[0])) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1000;
const int EndpointsPerService = 10;
const string Bridge = "bsvc0";
const string Table = "berth-" + Bridge;
const string ClusterCidr = "10.78.0.0/16";
const string ServiceCidr = "10.178.0.0/16";
var images = new[] { "pause.tar", "busybox.tar" }.Select(f => Path.GetFullPath(Path.Combine("artifacts", "images", f))).ToArray();
if (images.Any(i => !File.Exists(i)))
    throw new InvalidOperationException("the test images are missing: run scripts/build-test-images.sh (make bench-services does)");

await using var server = await BerthServerProcess.StartAsync(binary, "--disable-agent", "--cluster-cidr", ClusterCidr, "--service-cidr", ServiceCidr);
using var client = server.CreateClient();
(await client.PostAsJsonAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bench" } })).EnsureSuccessStatusCode();
var clock = Stopwatch.StartNew();
await ForEachAsync(Enumerable.Range(0, services), async i =>
{
    var service = new JsonObject
    {
        ["metadata"] = new JsonObject { ["name"] = $"svc-{i}" },
        ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = 8080 }) },
    };
    (await client.PostAsJsonAsync("/api/v1/namespaces/bench/services", service)).EnsureSuccessStatusCode();
    (await client.PostAsJsonAsync("/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices", Slice(i, Enumerable.Range(0, EndpointsPerService).Select(j => Address(i * EndpointsPerService + j))))).EnsureSuccessStatusCode();
});
Console.WriteLine($"  {services} Services with {EndpointsPerService} endpoints each created in {clock.Elapsed.TotalSeconds:F1} s");

using var agentData = new TempDirectory("bench-agent");
var imageDir = Directory.CreateDirectory(Path.Combine(agentData.Path, "agent", "images")).FullName;
foreach (var image in images)
    File.Copy(image, Path.Combine(imageDir, Path.GetFileName(image)));
var agent = BerthAgentProcess.Start(binary, server.Url, server.ReadJoinToken(), "bench-node", agentData.Path,
    "--runtime", "cri", "--cluster-cidr", ClusterCidr, "--service-cidr", ServiceCidr, "--pod-bridge", Bridge);
try
{
    // The proxy's first write is the whole table, all Services in it.
    var fullSync = new Regex(@"Service proxy wrote table ip \S+: (\d+) service ports with endpoints, (\d+) chains, in (\d+) ms");
    Match? written = null;
    await WaitAsync(() => Task.FromResult((written = fullSync.Match(agent.Output)).Success && int.Parse(written.Groups[1].Value, CultureInfo.InvariantCulture) >= services),
        TimeSpan.FromMinutes(3), () => $"the proxy's first full write; the agent printed:\n{agent.Output}");
    var fullMs = double.Parse(written!.Groups[3].Value, CultureInfo.InvariantCulture);
    Console.WriteLine($"  full write of the table: {written.Groups[1].Value} service ports, {written.Groups[2].Value} chains, {fullMs:F0} ms");

    // One endpoint changed at a time: from the API write to the kernel's chain naming the new address.
    var syncs = new List<double>();
    for (var k = 0; k < 100; k++)
    {
        var i = k * 7 % services;
        var addresses = Enumerable.Range(1, EndpointsPerService - 1).Select(j => Address(i * EndpointsPerService + j)).Prepend(Address(services * EndpointsPerService + k)).ToList();
        var path = $"/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices/svc-{i}-bench";
        var current = JsonNode.Parse(await client.GetStringAsync(path))!;
        var slice = Slice(i, addresses);
        slice["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]!.GetValue<string>();
        var started = Stopwatch.GetTimestamp();
        (await client.PutAsJsonAsync(path, slice)).EnsureSuccessStatusCode();
        await WaitAsync(async () => (await ProgramRun.RunAsync("nft", "list", "chain", "ip", Table, $"svc-bench/svc-{i}/tcp/http")).Output.Contains($"/{addresses[0]}/", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), () => $"the rule for svc-{i} to name {addresses[0]}");
        syncs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    Console.WriteLine($"  endpoint change to live rule: p50 {Percentile(syncs, 50):F0} ms, p99 {Percentile(syncs, 99):F0} ms (nft polled, a few ms a poll)");

    // The node's DNS server listens on its bridge address (the pod CIDR's first address).
    var node = JsonNode.Parse(await client.GetStringAsync("/api/v1/nodes/bench-node"))!;
    var podCidr = node["spec"]!["podCIDR"]!.GetValue<string>();
    var dns = new IPEndPoint(IPAddress.Parse(string.Join('.', podCidr.Split('/')[0].Split('.').Take(3)) + ".1"), 53);
    var (answered, failed, latencies, seconds) = await QueryLoadAsync(dns, services, workers: 8, TimeSpan.FromSeconds(10));
    var qps = answered / seconds;
    Console.WriteLine($"  DNS: {answered} answers in {seconds:F1} s from 8 sockets ({qps:F0}/s), p50 {Percentile(latencies, 50):F2} ms, p99 {Percentile(latencies, 99):F2} ms, {failed} wrong or lost");
    var rss = agent.RssBytes();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"bench services: services={services} rule_sync_p99_ms={Percentile(syncs, 99):F0} rule_sync_p50_ms={Percentile(syncs, 50):F0} full_resync_ms={fullMs:F0} dns_qps={qps:F0} dns_p99_ms={Percentile(latencies, 99):F2} dns_failed={failed} agent_rss_mb={rss / 1e6:F0}"));
}
finally
{
    await agent.StopAsync(TimeSpan.FromSeconds(60));
    var (code, output) = await ProgramRun.RunAsync(binary, "cleanup", "--data-dir", agentData.Path);
    if (code != 0)
        Console.Error.WriteLine($"berth cleanup failed: {output}");
}

// The i-th endpoint address: 10.78.x.y, never the network's first addresses.
static string Address(int index) => $"10.78.{index / 250 + 1}.{index % 250 + 2}";

static JsonObject Slice(int service, IEnumerable<string> addresses) => new()
{
    ["apiVersion"] = "discovery.k8s.io/v1",
    ["kind"] = "EndpointSlice",
    ["metadata"] = new JsonObject { ["name"] = $"svc-{service}-bench", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = $"svc-{service}" } },
    ["addressType"] = "IPv4",
    ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["protocol"] = "TCP", ["port"] = 8080 }),
    ["endpoints"] = new JsonArray(addresses.Select(a => (JsonNode)new JsonObject { ["addresses"] = new JsonArray(a), ["conditions"] = new JsonObject { ["ready"] = true } }).ToArray()),
};

// Queries A records of random Services from several sockets, each waiting for its answer before the next question.
static async Task<(long Answered, long Failed, List<double> Latencies, double Seconds)> QueryLoadAsync(IPEndPoint server, int services, int workers, TimeSpan duration)
{
    long answered = 0, failed = 0;
    var latencies = new List<double>();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        var random = new Random(w);
        var buffer = new byte[1500];
        var own = new List<double>();
        ushort id = (ushort)(w * 4096);
        while (clock.Elapsed < duration)
        {
            var query = Query(++id, $"svc-{random.Next(services)}.bench.svc.cluster.local");
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(query);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                int length;
                do
                    length = await socket.ReceiveAsync(buffer, timeout.Token);
                while (length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(buffer) != id);
                // NOERROR with at least one answer.
                if (length >= 12 && (buffer[3] & 0x0F) == 0 && BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(6)) > 0)
                {
                    own.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref answered);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref failed);
            }
        }
        lock (latencies)
            latencies.AddRange(own);
    }));
    return (answered, failed, latencies, clock.Elapsed.TotalSeconds);
}

// A DNS question for NAME's A record, recursion desired.
static byte[] Query(ushort id, string name)
{
    var message = new List<byte>(64);
    message.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    foreach (var label in name.Split('.'))
    {
        message.Add((byte)label.Length);
        message.AddRange(Encoding.ASCII.GetBytes(label));
    }
    message.AddRange([0, 0, 1, 0, 1]);
    return [.. message];
}

static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action)
{
    using var gate = new SemaphoreSlim(32);
    await Task.WhenAll(items.Select(async item =>
    {
        await gate.WaitAsync();
        try
        {
            await action(item);
        }
        finally
        {
            gate.Release();
        }
    }));
}

static double Percentile(List<double> values, int percentile)
{
    if (values.Count == 0)
        return double.NaN;
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
            throw new TimeoutException($"timed out waiting for {what()}");
        await Task.Delay(5);
    }
}
