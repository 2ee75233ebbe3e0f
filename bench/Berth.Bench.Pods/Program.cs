// bench pods: real containers on one node. A `berth server` without a node of its own, and a `berth agent` process
// joined to it with the containerd runtime. PODS pods (busybox `sleep`) are created at once through the API, and
// each one's time from its create to Ready is measured, with the agent's RSS. Then the same number of sandboxes and
// containers straight through CRI against the agent's containerd (RunPodSandbox + CreateContainer + StartContainer),
// and `podman run -d` of the same image, all started at once. Prints the figures and a final line
// `bench pods: ...`. Arguments: [bin/berth] [PODS, default 50]. See docs/benchmarks.md.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Agent.Containerd;
using Berth.Agent.Cri;
using Berth.Agent.Runtime;
using Berth.Testing;

var binary = Path.GetFullPath(args.FirstOrDefault(a => !char.IsAsciiDigit(a[0])) ?? "bin/berth");
var count = args.FirstOrDefault(a => char.IsAsciiDigit(a[0])) is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 50;
const string Image = "localhost/berth/busybox:1.0";
var images = new[] { "pause.tar", "busybox.tar" }.Select(f => Path.GetFullPath(Path.Combine("artifacts", "images", f))).ToArray();
if (images.Any(i => !File.Exists(i)))
    throw new InvalidOperationException("the test images are missing: run scripts/build-test-images.sh (make bench-pods does)");

await using var server = await BerthServerProcess.StartAsync(binary, "--disable-agent", "--cluster-cidr", "10.77.0.0/16");
using var client = server.CreateClient();
using var agentData = new TempDirectory("bench-agent");
var imageDir = Directory.CreateDirectory(Path.Combine(agentData.Path, "agent", "images")).FullName;
foreach (var image in images)
    File.Copy(image, Path.Combine(imageDir, Path.GetFileName(image)));
var agent = BerthAgentProcess.Start(binary, server.Url, server.ReadJoinToken(), "bench-node", agentData.Path,
    "--runtime", "cri", "--cluster-cidr", "10.77.0.0/16", "--service-cidr", "10.177.0.0/24", "--pod-bridge", "bbench0");
try
{
    await WaitAsync(async () => await ReadyNodes.CountAsync(client) >= 1, TimeSpan.FromMinutes(2), () => $"the agent's node to be Ready; it printed:\n{agent.Output}");

    // One pod first, so that nothing is measured cold (JIT, the first sandbox after containerd starts).
    await RunPodsAsync("warm", 1);
    var (berth, peakRss) = await RunPodsAsync("bench", count);
    Console.WriteLine($"  berth: {count} pods, create to Ready p50 {Percentile(berth.Latencies, 50):F0} ms, p99 {Percentile(berth.Latencies, 99):F0} ms, {count / berth.Wall.TotalSeconds:F1} pods/s, agent RSS peak {peakRss / 1e6:F0} MB");

    // The agent would remove sandboxes of no pod of its own: it stops (its containerd with it), and the same
    // containerd, with the agent's configuration, runs again on its own for the raw CRI figures.
    await agent.StopAsync(TimeSpan.FromSeconds(60));
    var containerdDir = Path.Combine(agentData.Path, "agent", "containerd");
    // Its log goes where the agent's containerd logged.
    using var containerd = Process.Start("/bin/sh", ["-c", "exec containerd --config \"$1\" >>\"$2\" 2>&1", "containerd",
        Path.Combine(containerdDir, "config.toml"), Path.Combine(containerdDir, "containerd.log")]);
    List<double> cri;
    try
    {
        cri = await RawCriAsync(Path.Combine(containerdDir, "containerd.sock"), count);
    }
    finally
    {
        containerd.Kill();
        await containerd.WaitForExitAsync();
    }
    Console.WriteLine($"  raw CRI: {count} sandboxes + containers, p50 {Percentile(cri, 50):F0} ms, p99 {Percentile(cri, 99):F0} ms");

    var podman = await PodmanAsync(count);
    Console.WriteLine(podman is null ? "  podman: not installed (scripts/install-deps.sh bench installs it)" : $"  podman run -d: {count} containers, p50 {Percentile(podman, 50):F0} ms, p99 {Percentile(podman, 99):F0} ms");

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"bench pods: pods={count} berth_p50_ms={Percentile(berth.Latencies, 50):F0} berth_p99_ms={Percentile(berth.Latencies, 99):F0} berth_pods_per_s={count / berth.Wall.TotalSeconds:F1} cri_p50_ms={Percentile(cri, 50):F0} podman_p50_ms={(podman is null ? "n/a" : Percentile(podman, 50).ToString("F0", CultureInfo.InvariantCulture))} agent_rss_mb={peakRss / 1e6:F0}"));
}
finally
{
    await agent.StopAsync(TimeSpan.FromSeconds(60));
    var (code, output) = await ProgramRun.RunAsync(binary, "cleanup", "--data-dir", agentData.Path);
    if (code != 0)
        Console.Error.WriteLine($"berth cleanup failed: {output}");
}

// Creates the pods at once, waits until each is Ready, deletes them and waits until they are gone.
async Task<((List<double> Latencies, TimeSpan Wall), long PeakRss)> RunPodsAsync(string prefix, int pods)
{
    var created = new Dictionary<string, long>();
    var ready = new Dictionary<string, long>();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, pods).Select(async i =>
    {
        var name = $"{prefix}-{i}";
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["terminationGracePeriodSeconds"] = 0,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "sleep", ["image"] = Image, ["imagePullPolicy"] = "IfNotPresent", ["command"] = new JsonArray("sleep", "3600"),
                }),
            },
        };
        lock (created)
            created[name] = clock.ElapsedTicks;
        (await client.PostAsJsonAsync("/api/v1/namespaces/default/pods", pod)).EnsureSuccessStatusCode();
    }));
    long peak = 0;
    await WaitAsync(async () =>
    {
        peak = Math.Max(peak, agent.RssBytes());
        var list = JsonNode.Parse(await client.GetStringAsync("/api/v1/namespaces/default/pods"))!["items"]!.AsArray();
        foreach (var item in list)
        {
            var name = item!["metadata"]!["name"]!.GetValue<string>();
            if (!ready.ContainsKey(name) && item["status"]?["conditions"]?.AsArray().Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True") == true)
                ready[name] = clock.ElapsedTicks;
        }
        return ready.Count == pods;
    }, TimeSpan.FromMinutes(5), () => $"{pods} pods to be Ready ({ready.Count} are)");
    var wall = TimeSpan.FromTicks(ready.Values.Max() - created.Values.Min()) * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency);
    var latencies = created.Select(c => (ready[c.Key] - c.Value) * 1000.0 / Stopwatch.Frequency).ToList();

    await Task.WhenAll(created.Keys.Select(name => client.DeleteAsync($"/api/v1/namespaces/default/pods/{name}")));
    await WaitAsync(async () => JsonNode.Parse(await client.GetStringAsync("/api/v1/namespaces/default/pods"))!["items"]!.AsArray().Count == 0,
        TimeSpan.FromMinutes(5), () => "the pods to be gone");
    return ((latencies, wall), peak);
}

// Sandboxes and containers straight through CRI, all at once: each one's RunPodSandbox + CreateContainer + StartContainer.
static async Task<List<double>> RawCriAsync(string socket, int pods)
{
    using var logs = new TempDirectory("bench-cri-logs");
    CriRuntime? connected = null;
    await WaitAsync(async () =>
    {
        try
        {
            connected = await CriRuntime.ConnectAsync(socket, new CriPaths(logs.Path, ContainerdNodeOptions.DefaultCgroupRoot), RegistryCredentials.None, CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException)
        {
            return false;
        }
    }, TimeSpan.FromSeconds(30), () => "containerd to answer again");
    using var runtime = connected!;
    var imageRef = await runtime.ImageStatusAsync(Image, CancellationToken.None) ?? throw new InvalidOperationException($"{Image} is not in the agent's containerd");
    var latencies = new List<double>();
    var sandboxes = new List<string>();
    await Task.WhenAll(Enumerable.Range(0, pods).Select(async i =>
    {
        var uid = Guid.NewGuid().ToString();
        var spec = new JsonObject { ["name"] = "sleep", ["image"] = Image, ["command"] = new JsonArray("sleep", "3600") };
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"cri-{i}", ["namespace"] = "bench-cri", ["uid"] = uid },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(spec.DeepClone()) },
            ["status"] = new JsonObject { ["qosClass"] = "BestEffort" },
        };
        var clock = Stopwatch.StartNew();
        var sandbox = await runtime.RunPodSandboxAsync(new PodSandboxConfig($"cri-{i}", "bench-cri", uid, 0), pod, CancellationToken.None);
        var container = await runtime.CreateContainerAsync(sandbox, new ContainerConfig("sleep", 0, Image, imageRef, pod, spec, [], []), CancellationToken.None);
        await runtime.StartContainerAsync(container, CancellationToken.None);
        lock (latencies)
        {
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            sandboxes.Add(sandbox);
        }
    }));
    foreach (var sandbox in sandboxes)
    {
        await runtime.StopPodSandboxAsync(sandbox, CancellationToken.None);
        await runtime.RemovePodSandboxAsync(sandbox, CancellationToken.None);
    }
    return latencies;
}

// `podman run -d` of the same image, all at once, in a storage of its own (settings from the reference notes: runc,
// cgroupfs, no default ulimits, no network: podman's own would add a bridge with masquerading to the outside).
static async Task<List<double>?> PodmanAsync(int containers)
{
    if ((await ProgramRun.RunAsync("sh", "-c", "command -v podman")).Code != 0)
        return null;
    using var dir = new TempDirectory("bench-podman");
    var (root, runRoot, conf) = (Path.Combine(dir.Path, "root"), Path.Combine(dir.Path, "run"), Path.Combine(dir.Path, "containers.conf"));
    await File.WriteAllTextAsync(conf, "[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n");
    var env = new Dictionary<string, string> { ["CONTAINERS_CONF"] = conf };
    string[] Podman(params string[] rest) => ["--root", root, "--runroot", runRoot, .. rest];
    var copied = await ProgramRun.RunAsync("skopeo", env, "copy", "-q", $"docker-archive:{Path.GetFullPath("artifacts/images/busybox.tar")}",
        $"containers-storage:[overlay@{root}+{runRoot}]{Image}");
    if (copied.Code != 0)
        throw new InvalidOperationException($"skopeo could not copy the image into podman's storage: {copied.Output}");
    try
    {
        var latencies = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, containers).Select(async i =>
        {
            var clock = Stopwatch.StartNew();
            var run = await ProgramRun.RunAsync("podman", env, Podman("run", "-d", "--network", "none", "--name", $"bench-{i}", Image, "sleep", "3600"));
            if (run.Code != 0)
                throw new InvalidOperationException($"podman run failed: {run.Output}");
            lock (latencies)
                latencies.Add(clock.Elapsed.TotalMilliseconds);
        }));
        return latencies;
    }
    finally
    {
        await ProgramRun.RunAsync("podman", env, Podman("rm", "-f", "-a", "-t", "0"));
        await ProgramRun.RunAsync("podman", env, Podman("system", "reset", "-f"));
    }
}


static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
{
    var deadline = Stopwatch.StartNew();
    using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(25));
    while (!await condition())
    {
        if (deadline.Elapsed > timeout)
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what()}");
        await poll.WaitForNextTickAsync();
    }
}

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
