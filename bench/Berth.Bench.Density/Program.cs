// bench density (upstream's density SLO test, on hollow nodes): `bin/berth server --simulated-nodes N`, then the real
// kubectl applies a Deployment of P replicas. Measured: the time from the apply until all P pods are Running and
// Ready; each pod's startup latency, from when a watch first sees it to when it sees it Ready (upstream's SLO: p99 at
// most 5 s), and the part of it until the watch sees it bound to a node; then `kubectl set image` and the time until
// the rolling update has replaced every pod (updated, ready and available, nothing old left). Arguments: the binary
// and `N:P` (default 1000:30000). The last line is `bench density: ...`. See docs/benchmarks.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => a.Contains('/', StringComparison.Ordinal)) ?? "bin/berth");
var shape = args.FirstOrDefault(a => a.Contains(':', StringComparison.Ordinal))?.Split(':') ?? ["1000", "30000"];
var (nodes, replicas) = (int.Parse(shape[0], CultureInfo.InvariantCulture), int.Parse(shape[1], CultureInfo.InvariantCulture));
var timeout = TimeSpan.FromMinutes(20);

await using var server = await BerthServerProcess.StartAsync(binary, "--runtime", "simulated", "--simulated-nodes", nodes.ToString(CultureInfo.InvariantCulture),
    "--cluster-cidr", "10.64.0.0/10");
using var client = server.CreateClient();
client.Timeout = Timeout.InfiniteTimeSpan;
using var cache = new TempDirectory("density-kubectl");
using var files = new TempDirectory("density-manifests");
var kubectl = new Kubectl(server.KubeconfigPath, cache.Path);
var pods = new PodTimes();
await WaitAsync(async () => await ReadyNodes.CountAsync(client, settled: true) >= nodes + 1, "the hollow nodes to be Ready and free of not-ready taints");
Console.WriteLine($"  {nodes} hollow nodes Ready");

await kubectl.SucceedAsync("create", "namespace", "density");
var clock = Stopwatch.StartNew();
using var stopWatching = new CancellationTokenSource();
var watching = pods.WatchAsync(client, clock, stopWatching.Token);
await pods.Listed.WaitAsync(TimeSpan.FromMinutes(1));

var manifest = await files.WriteAsync($$$"""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: density, namespace: density}
    spec:
      replicas: {{{replicas}}}
      selector: {matchLabels: {app: density}}
      template:
        metadata: {labels: {app: density}}
        spec:
          containers:
          - name: app
            image: registry.local/app:1
            resources: {requests: {cpu: 10m, memory: 20Mi}}
    """);
var applied = clock.Elapsed;
await kubectl.SucceedAsync("apply", "-f", manifest);
await WaitAsync(() => Task.FromResult(pods.ReadyCount("registry.local/app:1") >= replicas), $"{replicas} pods to be Ready");
var allReady = clock.Elapsed - applied;
var latencies = pods.StartupLatencies("registry.local/app:1");
var p50 = Percentile(latencies, 0.50);
var p99 = Percentile(latencies, 0.99);
Console.WriteLine($"  {replicas} pods Ready {allReady.TotalSeconds:F1} s after the apply; startup p50 {p50:F0} ms, p99 {p99:F0} ms" +
    $" ({pods.Relisted} first seen by a relist after the watch fell behind)");
var binding = pods.BindingLatencies("registry.local/app:1");
Console.WriteLine($"  of which from first seen to bound: p50 {Percentile(binding, 0.50):F0} ms, p99 {Percentile(binding, 0.99):F0} ms");

var rolled = clock.Elapsed;
await kubectl.SucceedAsync("set", "image", "-n", "density", "deployment/density", "app=registry.local/app:2");
await WaitAsync(async () => await RolledOutAsync(client, replicas), "the rolling update to finish");
var rollout = clock.Elapsed - rolled;
Console.WriteLine($"  rolling update of {replicas} pods done in {rollout.TotalSeconds:F1} s");
var rssMb = server.RssBytes() / (1024 * 1024);
await stopWatching.CancelAsync();
await watching;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"bench density: nodes={nodes} pods={replicas} all_ready_s={allReady.TotalSeconds:F1} startup_p50_ms={p50:F0} startup_p99_ms={p99:F0} rollout_s={rollout.TotalSeconds:F1} server_rss_mb={rssMb}"));

async Task WaitAsync(Func<Task<bool>> done, string what)
{
    var started = Stopwatch.StartNew();
    var report = TimeSpan.FromSeconds(30);
    while (!await done())
    {
        if (started.Elapsed > timeout)
            throw new TimeoutException($"waited {timeout.TotalMinutes} minutes for {what}");
        if (started.Elapsed > report)
        {
            Console.WriteLine($"  ... {started.Elapsed.TotalSeconds:F0} s waiting for {what}: {pods.Summary()}");
            report += TimeSpan.FromSeconds(30);
        }
        await Task.Delay(250);
    }
}

static double Percentile(List<double> sorted, double share) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Ceiling(sorted.Count * share) - 1];

// Done when the Deployment's status says every replica is updated, ready and available, and no old one is left.
static async Task<bool> RolledOutAsync(HttpClient client, int replicas)
{
    using var deployment = JsonDocument.Parse(await client.GetStringAsync(new Uri("/apis/apps/v1/namespaces/density/deployments/density", UriKind.Relative)));
    var root = deployment.RootElement;
    var status = root.GetProperty("status");
    int Count(string field) => status.TryGetProperty(field, out var value) ? value.GetInt32() : 0;
    return status.TryGetProperty("observedGeneration", out var observed) && observed.GetInt64() >= root.GetProperty("metadata").GetProperty("generation").GetInt64()
        && Count("updatedReplicas") == replicas && Count("replicas") == replicas && Count("readyReplicas") == replicas && Count("availableReplicas") == replicas;
}

/// <summary>
/// When a watch of the namespace's pods first saw each pod, and first saw it Ready, by uid. The server ends a watch
/// that falls behind; then a list catches up (its pods count as first seen then) and the watch goes on from there.
/// </summary>
internal sealed class PodTimes
{
    private readonly ConcurrentDictionary<string, (string Image, TimeSpan Seen, TimeSpan? Bound, TimeSpan? Ready)> _pods = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _listed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _relisted;
    private bool _listing;

    public Task Listed => _listed.Task;

    /// <summary>Pods first seen in a list after the watch had fallen behind: their startup latency is understated.</summary>
    public int Relisted => _relisted;

    public int ReadyCount(string image) => _pods.Values.Count(p => p.Image == image && p.Ready is not null);

    public List<double> StartupLatencies(string image) =>
        [.. _pods.Values.Where(p => p.Image == image && p.Ready is not null).Select(p => (p.Ready!.Value - p.Seen).TotalMilliseconds).Order()];

    /// <summary>Of the Ready pods of <paramref name="image"/>, the milliseconds from first seen to seen bound to a node, in order.</summary>
    public List<double> BindingLatencies(string image) =>
        [.. _pods.Values.Where(p => p.Image == image && p.Ready is not null).Select(p => ((p.Bound ?? p.Ready!.Value) - p.Seen).TotalMilliseconds).Order()];

    public string Summary() => $"{_pods.Count} pods seen, {_pods.Values.Count(p => p.Ready is not null)} of them Ready";

    public async Task WatchAsync(HttpClient client, Stopwatch clock, CancellationToken cancellationToken)
    {
        var revision = "";
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (revision.Length == 0)
                {
                    _listing = true;
                    using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/namespaces/density/pods", UriKind.Relative), cancellationToken));
                    foreach (var pod in list.RootElement.GetProperty("items").EnumerateArray())
                        Note(pod, clock.Elapsed);
                    revision = list.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
                    _listing = false;
                    _listed.TrySetResult();
                }
                using var response = await client.GetAsync(new Uri($"/api/v1/namespaces/density/pods?watch=1&allowWatchBookmarks=true&resourceVersion={revision}", UriKind.Relative),
                    HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    using var e = JsonDocument.Parse(line);
                    var type = e.RootElement.GetProperty("type").GetString();
                    var pod = e.RootElement.GetProperty("object");
                    if (type == "ERROR")
                        break;
                    if (type != "BOOKMARK")
                        Note(pod, clock.Elapsed);
                    revision = pod.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
                }
                revision = "";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                revision = "";
            }
        }
    }

    private void Note(JsonElement pod, TimeSpan now)
    {
        var uid = pod.GetProperty("metadata").GetProperty("uid").GetString()!;
        var image = pod.GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString()!;
        var ready = pod.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions)
            && conditions.EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True");
        var known = _pods.TryGetValue(uid, out var before);
        if (!known && _listing && _listed.Task.IsCompleted)
            Interlocked.Increment(ref _relisted);
        var bound = pod.GetProperty("spec").TryGetProperty("nodeName", out var node) && node.GetString() is { Length: > 0 };
        var seen = known ? before.Seen : now;
        _pods[uid] = (image, seen, known && before.Bound is not null ? before.Bound : bound ? now : null, known && before.Ready is not null ? before.Ready : ready ? now : null);
    }
}
