// bench api: a real `bin/berth server` process with 10,000 pods, driven over HTTPS by 32 concurrent clients.
// Prints the figures, then the final line `bench api: key=value ...`. See docs/benchmarks.md.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Berth.Bench.Api;
using Berth.Testing;

var quick = args.Contains("--quick");
var binary = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "bin/berth");
var pods = quick ? 1_000 : 10_000;
var watchers = quick ? 100 : 1_000;
const int Clients = 32;
const string Namespace = "default";
var podsPath = $"/api/v1/namespaces/{Namespace}/pods";

// The API server alone, as the issue's targets are for it: the controllers and the node agent run in the same process by default,
// and their memory is measured separately at the end.
await using var server = await BerthServerProcess.StartAsync(binary, "--disable-controller-manager", "--disable-scheduler", "--disable-agent");
using var client = server.CreateClient();
var rssEmpty = server.RssBytes();

var created = Stopwatch.StartNew();
await CreatePodsAsync(client);
var createsPerSecond = pods / created.Elapsed.TotalSeconds;
Report("creates/s (32 clients)", createsPerSecond);
var rssCreated = server.RssBytes();

// GETs: 32 clients, random pods.
var getLatencies = new List<double>();
await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
{
    var random = new Random(c);
    var mine = new List<double>();
    for (var i = 0; i < (quick ? 100 : 500); i++)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(new Uri($"{podsPath}/pod-{random.Next(pods):D5}", UriKind.Relative));
        await response.Content.ReadAsByteArrayAsync();
        mine.Add(watch.Elapsed.TotalMilliseconds);
    }
    lock (getLatencies)
        getLatencies.AddRange(mine);
})));
getLatencies.Sort();
var getP50 = getLatencies[getLatencies.Count / 2];
var getP99 = getLatencies[(int)(getLatencies.Count * 0.99)];
Report("GET p50 / p99 ms", getP50, getP99);

// LIST of every pod, as JSON and as a Table (median of 5 each). Over HTTP/1.1: .NET's HTTP/2 client reads a 30 MB
// body at a fraction of the speed the server sends it (curl over HTTP/2 receives it as fast as over HTTP/1.1).
async Task<double> ListAsync(string accept)
{
    var timings = new List<double>();
    var buffer = new byte[1 << 20];
    for (var run = 0; run < 5; run++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, podsPath) { Version = System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Accept.ParseAdd(accept);
        var watch = Stopwatch.StartNew();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        long length = 0;
        while (await body.ReadAsync(buffer) is var read and > 0)
            length += read;
        timings.Add(watch.Elapsed.TotalMilliseconds);
        if (!response.IsSuccessStatusCode || length < pods * 100)
            throw new InvalidOperationException($"list answered {(int)response.StatusCode} with {length} bytes");
    }
    timings.Sort();
    return timings[2];
}
var listJson = await ListAsync("application/json");
var listTable = await ListAsync("application/json;as=Table;v=v1;g=meta.k8s.io");
Report($"LIST {pods} pods, ms: JSON / Table", listJson, listTable);
var rssListed = server.RssBytes();

// Watch delivery: 1,000 watchers on the namespace's pods; one pod updated at a time; latency from issuing the
// update to each watcher reading its event.
var rssLoaded = server.RssBytes();
var watchP99 = await WatchLatencyAsync();
Report($"watch p99 ms ({watchers} watchers)", watchP99);
var rss = Math.Max(rssLoaded, server.RssBytes());
Report("server RSS MB: empty / created / listed / max", rssEmpty / 1e6, rssCreated / 1e6, rssListed / 1e6, rss / 1e6);
Report("RSS KB per stored pod", (rss - rssEmpty) / 1e3 / pods);

// The whole server as `make run` starts it (API server, controllers, scheduler, its own node; the node simulated, so that no
// containerd is needed and the figure stays the server's own), with the same pods.
await server.DisposeAsync();
long rssFull;
await using (var full = await BerthServerProcess.StartAsync(binary, "--runtime", "simulated"))
{
    using var fullClient = full.CreateClient();
    fullClient.Timeout = Timeout.InfiniteTimeSpan;
    await CreateReplicaSetAsync(fullClient);
    // The controllers' informers take in the 10,000 pods asynchronously: read RSS once it stops growing.
    rssFull = full.RssBytes();
    for (var settled = 0; settled < 5; settled++)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var now = full.RssBytes();
        if (now > rssFull)
            settled = 0;
        rssFull = Math.Max(rssFull, now);
    }
}
Report("RSS MB of the whole server (with controllers)", rssFull / 1e6);

Console.WriteLine(FormattableString.Invariant(
    $"bench api: creates_per_s={createsPerSecond:0} get_p50_ms={getP50:0.##} get_p99_ms={getP99:0.##} list10k_ms={listJson:0.#} list10k_table_ms={listTable:0.#} watch_p99_ms={watchP99:0.##} rss_mb={rss / 1e6:0} rss_kb_per_pod={(rss - rssEmpty) / 1e3 / pods:0.##} server_rss_mb={rssFull / 1e6:0} pods={pods}"));

// Creates the replica set the pods belong to (without a live owner the garbage collector would delete them), then
// the pods: 32 clients, each creating its share.
async Task CreatePodsAsync(HttpClient http)
{
    using var ownerContent = new StringContent(PodTemplate.OwnerJson(Namespace), Encoding.UTF8, "application/json");
    using var ownerResponse = await http.PostAsync(new Uri($"/apis/apps/v1/namespaces/{Namespace}/replicasets", UriKind.Relative), ownerContent);
    var ownerUid = System.Text.Json.Nodes.JsonNode.Parse(await ownerResponse.Content.ReadAsStringAsync())!["metadata"]!["uid"]!.GetValue<string>();
    await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
    {
        for (var i = c; i < pods; i += Clients)
        {
            using var content = new StringContent(PodTemplate.Json($"pod-{i:D5}", Namespace, ownerUid), Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri(podsPath, UriKind.Relative), content);
            if ((int)response.StatusCode != 201)
                throw new InvalidOperationException($"create pod-{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    })));
}

// With the controllers running, the pods come as they do for users: from a replica set of that many replicas, whose
// template is the same realistic pod; returns once the replica set reports them all.
async Task CreateReplicaSetAsync(HttpClient http)
{
    var pod = System.Text.Json.Nodes.JsonNode.Parse(PodTemplate.Json("template", Namespace, "none"))!;
    var labels = pod["metadata"]!["labels"]!;
    var replicaSet = new System.Text.Json.Nodes.JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "ReplicaSet",
        ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "checkout-7d9c8f5b6d", ["labels"] = labels.DeepClone() },
        ["spec"] = new System.Text.Json.Nodes.JsonObject
        {
            ["replicas"] = pods,
            ["selector"] = new System.Text.Json.Nodes.JsonObject { ["matchLabels"] = labels.DeepClone() },
            ["template"] = new System.Text.Json.Nodes.JsonObject
            {
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["labels"] = labels.DeepClone(), ["annotations"] = pod["metadata"]!["annotations"]!.DeepClone() },
                ["spec"] = pod["spec"]!.DeepClone(),
            },
        },
    };
    using var content = new StringContent(replicaSet.ToJsonString(), Encoding.UTF8, "application/json");
    using var created = await http.PostAsync(new Uri($"/apis/apps/v1/namespaces/{Namespace}/replicasets", UriKind.Relative), content);
    if ((int)created.StatusCode != 201)
        throw new InvalidOperationException($"create replica set: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        var status = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri($"/apis/apps/v1/namespaces/{Namespace}/replicasets/checkout-7d9c8f5b6d", UriKind.Relative)))!["status"];
        if (status?["replicas"]?.GetValue<int>() == pods)
            return;
        if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            throw new TimeoutException($"the replica set has {status?["replicas"]} of {pods} pods after 5 minutes");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
    }
}

async Task<double> WatchLatencyAsync()
{
    const int Updates = 100;
    var rv = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync(new Uri($"{podsPath}?limit=1", UriKind.Relative)))!["metadata"]!["resourceVersion"]!.GetValue<string>();
    var issuedAt = new long[Updates + 1];
    var arrivals = new int[Updates + 1];
    var samples = new double[watchers * Updates];
    var allArrived = Enumerable.Range(0, Updates + 1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
    using var stop = new CancellationTokenSource();
    var streams = Enumerable.Range(0, watchers).Select(w => Task.Run(async () =>
    {
        try
        {
            using var response = await client.GetAsync(new Uri($"{podsPath}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dpod-00000", UriKind.Relative),
                HttpCompletionOption.ResponseHeadersRead, stop.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
            // Lines are scanned as bytes for the marker: decoding 3 KB per event into strings would make this
            // client, not the server, the thing measured.
            var buffer = new byte[64 * 1024];
            var filled = 0;
            while (await stream.ReadAsync(buffer.AsMemory(filled), stop.Token) is var read and > 0)
            {
                var now = Stopwatch.GetTimestamp();
                filled += read;
                int newline;
                while ((newline = buffer.AsSpan(0, filled).IndexOf((byte)'\n')) >= 0)
                {
                    var line = buffer.AsSpan(0, newline);
                    var marker = line.IndexOf("\"bench-update\":\""u8) + 16;
                    var index = int.Parse(line[marker..(marker + line[marker..].IndexOf((byte)'"'))], CultureInfo.InvariantCulture);
                    if (index > 0)
                        samples[(index - 1) * watchers + w] = Stopwatch.GetElapsedTime(issuedAt[index], now).TotalMilliseconds;
                    if (Interlocked.Increment(ref arrivals[index]) == watchers)
                        allArrived[index].TrySetResult();
                    buffer.AsSpan(newline + 1, filled - newline - 1).CopyTo(buffer);
                    filled -= newline + 1;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    })).ToList();

    for (var index = 0; index <= Updates; index++)
    {
        issuedAt[index] = Stopwatch.GetTimestamp();
        using var patch = new StringContent("{\"metadata\":{\"annotations\":{\"bench-update\":\"" + index.ToString(CultureInfo.InvariantCulture) + "\"}}}", Encoding.UTF8);
        patch.Headers.ContentType = MediaTypeHeaderValue.Parse("application/merge-patch+json");
        using var response = await client.PatchAsync(new Uri($"{podsPath}/pod-00000", UriKind.Relative), patch);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"patch: {(int)response.StatusCode}");
        // Update 0 waits out the watchers' start; the rest are measured.
        await allArrived[index].Task.WaitAsync(TimeSpan.FromMinutes(index == 0 ? 2 : 1));
    }
    await stop.CancelAsync();
    await Task.WhenAll(streams);
    Array.Sort(samples);
    return samples[(int)(samples.Length * 0.99)];
}

static void Report(string what, params double[] values) =>
    Console.WriteLine($"  {what,-44} {string.Join(" / ", values.Select(v => v.ToString("0.##", CultureInfo.InvariantCulture)))}");
