// bench scheduler: for each `MODE:N:P[:kubelets]` given, `bin/berth server --simulated-nodes N`, then P pods with CPU
// and memory requests and no node, created 32 at a time through the API. MODE is `basic` (upstream's SchedulingBasic),
// `antiaffinity` (each pod also has required anti-affinity on kubernetes.io/hostname against the pods of its group,
// one of 100) or `spread` (each pod also has a topology spread constraint, maxSkew 1 on kubernetes.io/hostname,
// DoNotSchedule, over the pods of its group). The hollow nodes register and heartbeat but run no pods, as the nodes of
// upstream's scheduler_perf, which have no kubelet (`--simulated-nodes-heartbeat-only`); with `:kubelets` they also
// run every pod bound to them, writing its status and events, in the same process. A watch notes when each pod is
// bound; the figures are pods bound per second (first create to last binding) and the p99 from a pod's create to its
// binding. Prints each run's figures, a line `bench scheduler-run: ...` per run, and last `bench scheduler: ...` with
// the largest basic run of each kind and the others' rates, with how many pods were created and bound every 5 s, and
// the writes the hollow nodes made meanwhile (a rate bought by starving them would show there). See
// docs/benchmarks.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => a.Contains('/', StringComparison.Ordinal)) ?? "bin/berth");
var runs = args.Where(a => !a.Contains('/', StringComparison.Ordinal)).Select(Run.Parse).DefaultIfEmpty(new Run("basic", 5_000, 10_000)).ToList();
var results = new List<(Run Run, double PodsPerSecond, double P99)>();

foreach (var run in runs)
{
    await using var server = await BerthServerProcess.StartAsync(binary, ["--runtime", "simulated", "--simulated-nodes", run.Nodes.ToString(CultureInfo.InvariantCulture),
        // Room for a /24 per node beyond the default /16's 256.
        "--cluster-cidr", "10.64.0.0/10", .. run.Kubelets ? Array.Empty<string>() : ["--simulated-nodes-heartbeat-only"]]);
    using var client = server.CreateClient();
    client.Timeout = Timeout.InfiniteTimeSpan;
    await WaitForNodesAsync(client, run.Nodes + 1);
    Console.WriteLine($"  {run}: {run.Nodes} hollow nodes Ready");

    var writesBefore = await NodeWritesAsync(client);
    var clock = Stopwatch.StartNew();
    var created = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
    var bound = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
    using var stopWatching = new CancellationTokenSource();
    var watching = WatchBindingsAsync(client, bound, clock, stopWatching.Token);
    await Parallel.ForEachAsync(Enumerable.Range(0, run.Pods), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
    {
        var name = $"{run.Mode}-{i}";
        using var content = new StringContent(run.Pod(name, i), System.Text.Encoding.UTF8, "application/json");
        created[name] = clock.Elapsed;
        using var response = await client.PostAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    });
    Console.WriteLine($"  {run.Pods} pods created in {clock.Elapsed.TotalSeconds:F1} s");
    while (bound.Count < run.Pods)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(15))
            throw new TimeoutException($"only {bound.Count} of {run.Pods} pods were bound after 15 minutes");
        await Task.Delay(100);
    }
    await stopWatching.CancelAsync();
    await watching;
    var nodeWrites = (await NodeWritesAsync(client)).Minus(writesBefore);

    var last = bound.Values.Max();
    var podsPerSecond = run.Pods / last.TotalSeconds;
    var latencies = created.Select(c => (bound[c.Key] - c.Value).TotalMilliseconds).Order().ToList();
    var p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
    for (var second = 5; second < last.TotalSeconds + 5; second += 5)
        Console.WriteLine($"    {second,4} s: {created.Values.Count(t => t.TotalSeconds < second),6} created, {bound.Values.Count(t => t.TotalSeconds < second),6} bound");
    Console.WriteLine($"  all bound {last.TotalSeconds:F1} s after the first create: {podsPerSecond:F0} pods/s, create-to-bind p50 {latencies[latencies.Count / 2]:F0} ms, p99 {p99:F0} ms");
    // A rate bought by starving the hollow nodes would show here: each renews its Lease every 10 s (nodes registered
    // together renew together, so a run shorter than that may see one burst or none), and reports and records events
    // for every pod it starts.
    Console.WriteLine($"  the hollow nodes meanwhile ({clock.Elapsed.TotalSeconds:F0} s, each node renewing every 10 s): {nodeWrites.LeaseRenewals} lease renewals, "
        + $"{nodeWrites.PodStatusWrites} pod status writes and {nodeWrites.EventCreates} event creates for {run.Pods} pods");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench scheduler-run: mode={run.Mode} nodes={run.Nodes} pods={run.Pods} kubelets={(run.Kubelets ? "yes" : "no")} pods_per_s={podsPerSecond:F0} p99_ms={p99:F0}"));
    results.Add((run, podsPerSecond, p99));
}

// The largest basic run of each kind, if any ran.
var basic = Largest(kubelets: false);
var withKubelets = Largest(kubelets: true);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"bench scheduler: nodes={basic.Run?.Nodes} pods={basic.Run?.Pods} pods_per_s={Figure(basic.Run, basic.PodsPerSecond)} p99_ms={Figure(basic.Run, basic.P99)} antiaffinity_pods_per_s={Rate("antiaffinity")} spread_pods_per_s={Rate("spread")} kubelets_pods_per_s={Figure(withKubelets.Run, withKubelets.PodsPerSecond)} kubelets_p99_ms={Figure(withKubelets.Run, withKubelets.P99)}"));

(Run Run, double PodsPerSecond, double P99) Largest(bool kubelets) =>
    results.Where(r => r.Run.Mode == "basic" && r.Run.Kubelets == kubelets).OrderBy(r => (r.Run.Nodes, r.Run.Pods)).LastOrDefault();
string Rate(string mode) => results.FirstOrDefault(r => r.Run.Mode == mode && !r.Run.Kubelets) is { Run: not null } found ? Figure(found.Run, found.PodsPerSecond) : "-";
static string Figure(Run? run, double value) => run is null ? "-" : value.ToString("F0", CultureInfo.InvariantCulture);

// Notes the moment each pod in default is first seen bound. The watch selects pods without a node, so the bench is
// sent two events a pod (its creation, and its binding as it leaves the selector) rather than every status write. A
// watch the server ends resumes from the last revision seen; after a 410, a list of every pod catches up (those bound
// are noted as bound now).
static async Task WatchBindingsAsync(HttpClient client, ConcurrentDictionary<string, TimeSpan> bound, Stopwatch clock, CancellationToken cancellationToken)
{
    var revision = "";
    while (!cancellationToken.IsCancellationRequested)
    {
        try
        {
            if (revision.Length == 0)
            {
                using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/v1/namespaces/default/pods", UriKind.Relative), cancellationToken));
                foreach (var pod in list.RootElement.GetProperty("items").EnumerateArray())
                    Note(pod, leftSelector: false);
                revision = list.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
            }
            using var response = await client.GetAsync(new Uri($"/api/v1/namespaces/default/pods?watch=1&fieldSelector=spec.nodeName%3D&resourceVersion={revision}", UriKind.Relative),
                HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                using var e = JsonDocument.Parse(line);
                var type = e.RootElement.GetProperty("type").GetString();
                var pod = e.RootElement.GetProperty("object");
                if (type == "ERROR")
                {
                    revision = "";
                    break;
                }
                Note(pod, leftSelector: type == "DELETED");
                revision = pod.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            revision = "";
        }
    }

    void Note(JsonElement pod, bool leftSelector)
    {
        if (leftSelector || (pod.GetProperty("spec").TryGetProperty("nodeName", out var node) && node.GetString() is { Length: > 0 }))
            bound.TryAdd(pod.GetProperty("metadata").GetProperty("name").GetString()!, clock.Elapsed);
    }
}

// The writes the hollow nodes make, from the server's own metrics (apiserver_request_total).
static async Task<NodeWrites> NodeWritesAsync(HttpClient client)
{
    var lines = (await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n')
        .Where(l => l.StartsWith("apiserver_request_total{", StringComparison.Ordinal)).ToList();
    double Sum(string verb, string resource, string subresource) => lines
        .Where(l => l.Contains($"verb=\"{verb}\"", StringComparison.Ordinal) && l.Contains($"resource=\"{resource}\"", StringComparison.Ordinal)
            && l.Contains($"subresource=\"{subresource}\"", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    return new NodeWrites(Sum("PUT", "leases", ""), Sum("PUT", "pods", "status"), Sum("POST", "events", ""));
}

static async Task WaitForNodesAsync(HttpClient client, int expected)
{
    var started = Stopwatch.StartNew();
    while (true)
    {
        var ready = await ReadyNodes.CountAsync(client, settled: true);
        if (ready >= expected)
            return;
        if (started.Elapsed > TimeSpan.FromMinutes(10))
            throw new TimeoutException($"only {ready} of {expected} nodes were Ready after 10 minutes");
        await Task.Delay(250);
    }
}

/// <summary>One run: what kind of pods, how many nodes, how many pods, and whether the hollow nodes run their pods.</summary>
internal sealed record Run(string Mode, int Nodes, int Pods, bool Kubelets = false)
{
    private const int Groups = 100;

    public static Run Parse(string text) => text.Split(':') switch
    {
        [var mode, var nodes, var pods] when mode is "basic" or "antiaffinity" or "spread" => new Run(mode, Number(nodes), Number(pods)),
        [var mode, var nodes, var pods, "kubelets"] when mode is "basic" or "antiaffinity" or "spread" => new Run(mode, Number(nodes), Number(pods), Kubelets: true),
        _ => throw new ArgumentException($"{text}: expected MODE:NODES:PODS or MODE:NODES:PODS:kubelets with MODE basic, antiaffinity or spread"),
    };

    public override string ToString() => $"{Mode}:{Nodes}:{Pods}{(Kubelets ? ":kubelets" : "")}";

    /// <summary>The pod to create, as JSON: requests as upstream's SchedulingBasic, and the mode's placement rule over its group.</summary>
    public string Pod(string name, int index)
    {
        var group = $"g{index % Groups}";
        var rule = Mode switch
        {
            "antiaffinity" => ""","affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchLabels":{"group":"GROUP"}},"topologyKey":"kubernetes.io/hostname"}]}}""",
            "spread" => ""","topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"DoNotSchedule","labelSelector":{"matchLabels":{"group":"GROUP"}}}]""",
            _ => "",
        };
        return """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","labels":{"group":"GROUP"}},"spec":{"containers":[{"name":"app","image":"registry.local/app:1","resources":{"requests":{"cpu":"100m","memory":"500Mi"}}}]RULE}}"""
            .Replace("RULE", rule, StringComparison.Ordinal).Replace("NAME", name, StringComparison.Ordinal).Replace("GROUP", group, StringComparison.Ordinal);
    }

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);
}

/// <summary>Counts of the writes hollow nodes make: lease renewals, pod status writes, event creates (the scheduler's among them).</summary>
internal sealed record NodeWrites(double LeaseRenewals, double PodStatusWrites, double EventCreates)
{
    public NodeWrites Minus(NodeWrites before) =>
        new(LeaseRenewals - before.LeaseRenewals, PodStatusWrites - before.PodStatusWrites, EventCreates - before.EventCreates);
}
