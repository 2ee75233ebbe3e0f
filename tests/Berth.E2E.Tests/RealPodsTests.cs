using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>Pods as real containers on the server's own node, driven with the real kubectl.</summary>
public sealed class RealPodsTests(ContainerdCluster cluster) : IClassFixture<ContainerdCluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Deployment_OfHttpdWithAReadinessProbe_BecomesReadyAndServesOnPodAddressesFromTheNodeAndFromAnotherPod()
    {
        var ns = await cluster.NamespaceAsync("web");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: httpd
                    image: {{ContainerdCluster.Busybox}}
                    imagePullPolicy: IfNotPresent
                    env: [{name: GREETING, value: hello-e2e}]
                    command: [sh, -c, 'echo "$GREETING from $(hostname)" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp']
                    ports: [{name: http, containerPort: 8080}]
                    readinessProbe: {httpGet: {path: /index.html, port: http}, periodSeconds: 1}
            """);

        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=55s");

        var pods = (await cluster.GetAsync("get", "pods", "-n", ns, "-l", "app=web"))["items"]!.AsArray();
        Assert.Equal(2, pods.Count);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var pod in pods)
        {
            var ip = pod!["status"]!["podIP"]!.GetValue<string>();
            Assert.True(InCidr(ip, cluster.ClusterCidr), $"pod IP {ip} is not in the cluster CIDR {cluster.ClusterCidr}");
            Assert.Equal("True", pod["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Ready")!["status"]!.GetValue<string>());
            Assert.StartsWith("containerd://", pod["status"]!["containerStatuses"]![0]!["containerID"]!.GetValue<string>(), StringComparison.Ordinal);
            var page = await http.GetStringAsync(new Uri($"http://{ip}:8080/index.html"));
            Assert.Equal($"hello-e2e from {pod["metadata"]!["name"]!.GetValue<string>()}\n", page);
        }

        // From another pod across the bridge: the client exits 0 only if it got the page.
        var target = pods[0]!["status"]!["podIP"]!.GetValue<string>();
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: client}
            spec:
              restartPolicy: Never
              containers:
              - name: wget
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'timeout 10 wget -q -O - http://{{target}}:8080/index.html | grep -q hello-e2e']
            """);
        await Eventually.TrueAsync(async () => await PhaseAsync(ns, "client") is "Succeeded" or "Failed", Patience, "the client pod to finish");
        Assert.Equal("Succeeded", await PhaseAsync(ns, "client"));

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Container_OverItsMemoryLimit_IsOomKilled()
    {
        var ns = await cluster.NamespaceAsync("oom");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: hog}
            spec:
              restartPolicy: Never
              containers:
              - name: hog
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'tail /dev/zero']
                resources:
                  limits: {memory: 16Mi}
            """);

        await Eventually.TrueAsync(async () => await PhaseAsync(ns, "hog") == "Failed", Patience, "the memory hog to fail");
        var terminated = (await cluster.GetAsync("get", "pod", "hog", "-n", ns))["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!;
        Assert.Equal("OOMKilled", terminated["reason"]!.GetValue<string>());
        Assert.Equal(137, terminated["exitCode"]!.GetValue<int>());

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task PodCgroupsAndOomScores_FollowTheQosClass()
    {
        var ns = await cluster.NamespaceAsync("cgroups");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: guaranteed}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: one
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
                resources:
                  limits: {cpu: 200m, memory: 32Mi}
              - name: two
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
                resources:
                  limits: {cpu: 300m, memory: 64Mi}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: burstable}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: one
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
                resources:
                  requests: {cpu: 100m}
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/guaranteed", "pod/burstable", "--timeout=55s");
        async Task<string> UidAsync(string pod) => (await cluster.GetAsync("get", "pod", pod, "-n", ns))["metadata"]!["uid"]!.GetValue<string>();
        static string Read(string controller, string cgroup, string file) => File.ReadAllText($"/sys/fs/cgroup/{controller}/berth/{cgroup}/{file}").Trim();

        var guaranteed = "pod" + await UidAsync("guaranteed");
        Assert.Equal("512", Read("cpu", guaranteed, "cpu.shares"));
        Assert.Equal("50000", Read("cpu", guaranteed, "cpu.cfs_quota_us"));
        Assert.Equal((96L * 1024 * 1024).ToString(CultureInfo.InvariantCulture), Read("memory", guaranteed, "memory.limit_in_bytes"));
        var burstable = "burstable/pod" + await UidAsync("burstable");
        Assert.Equal("102", Read("cpu", burstable, "cpu.shares"));
        Assert.Equal("-1", Read("cpu", burstable, "cpu.cfs_quota_us"));
        // The Burstable class gets as many shares as its pods (other test clusters' pods may be there too).
        Assert.InRange(long.Parse(Read("cpu", "burstable", "cpu.shares"), CultureInfo.InvariantCulture), 102, 1024L * 1024);

        // Whom the kernel kills first: a Burstable pod requesting no memory just before BestEffort ones; a Guaranteed
        // one as late as containerd allows (it raises scores below its own to its own).
        async Task<int> OomScoreAsync(string pod) =>
            int.Parse((await cluster.Kubectl.SucceedAsync("exec", "-n", ns, pod, "-c", "one", "--", "cat", "/proc/self/oom_score_adj")).Out, CultureInfo.InvariantCulture);
        Assert.Equal(999, await OomScoreAsync("burstable"));
        Assert.InRange(await OomScoreAsync("guaranteed"), -997, 0);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
        Assert.False(Directory.Exists($"/sys/fs/cgroup/cpu/berth/{guaranteed}"), "the pod's cgroup is left");
    }

    [Fact]
    public async Task KubectlTop_ShowsTheUsageOfTheNodeAndOfAPodSpinningAtItsCpuLimit()
    {
        var ns = await cluster.NamespaceAsync("top");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: spin
              labels: {app: spin}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: spin
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'while true; do :; done']
                resources:
                  limits: {cpu: 100m, memory: 32Mi}
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/spin", "--timeout=55s");

        // Usage is read every 10 s and CPU is a rate between two readings: the pod shows within about 20 s.
        System.Text.RegularExpressions.Match? row = null;
        await Eventually.TrueAsync(async () =>
        {
            var (code, output, _) = await cluster.Kubectl.RunAsync("top", "pod", "-n", ns, "-l", "app=spin", "--no-headers");
            row = System.Text.RegularExpressions.Regex.Match(output, @"^spin\s+(\d+)m\s+(\d+)Mi");
            return code == 0 && row.Success;
        }, Patience, "kubectl top pod to show the pod");
        var millicores = int.Parse(row!.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(millicores, 50, 150);

        var (_, nodes, _) = await cluster.Kubectl.SucceedAsync("top", "node", "--no-headers");
        Assert.Matches(@"^\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%", nodes);
        var (exit, none, said) = await cluster.Kubectl.RunAsync("top", "pod", "-n", ns, "-l", "app=other");
        Assert.Equal(0, exit);
        Assert.Contains("No resources found", none + said, StringComparison.Ordinal);
        Assert.DoesNotContain("spin", none, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Node_OffersPodsItsCapacityLessWhatIsReservedAndTheEvictionThresholds()
    {
        var status = (await cluster.GetAsync("get", "nodes"))["items"]![0]!["status"]!;
        static long Kibibytes(JsonNode? quantity) => long.Parse(quantity!.GetValue<string>().Replace("Ki", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

        // The cluster reserves cpu=500m,memory=1Gi for the system and memory=256Mi for Berth; upstream's hard eviction
        // thresholds keep 100Mi of memory and 10% of the disk.
        Assert.Equal(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), status["capacity"]!["cpu"]!.GetValue<string>());
        Assert.Equal($"{Environment.ProcessorCount * 1000 - 500}m", status["allocatable"]!["cpu"]!.GetValue<string>());
        var memory = Kibibytes(status["capacity"]!["memory"]);
        Assert.Equal(memory - 100 * 1024 - 1024 * 1024 - 256 * 1024, Kibibytes(status["allocatable"]!["memory"]));
        var disk = Kibibytes(status["capacity"]!["ephemeral-storage"]);
        Assert.Equal(disk - disk / 10, Kibibytes(status["allocatable"]!["ephemeral-storage"]));
        Assert.Equal("110", status["allocatable"]!["pods"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_UnderMemoryPressure_RefusesBestEffortPodsAndEvictsOneUsingMoreThanItRequests()
    {
        // Every byte of memory is too little: the node is under pressure from the start.
        var pressed = new ContainerdCluster { ExtraFlags = ["--eviction-hard", "memory.available<100%"] };
        await pressed.InitializeAsync();
        try
        {
            var node = (await pressed.Kubectl.SucceedAsync("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")).Out;
            await Eventually.TrueAsync(async () => (await pressed.Kubectl.SucceedAsync("get", "node", node,
                "-o", "jsonpath={.status.conditions[?(@.type==\"MemoryPressure\")].status}")).Out == "True", Patience, "MemoryPressure");
            var ns = await pressed.NamespaceAsync("evict");
            // Placed by name: the scheduler would keep them off a node with the memory-pressure taint.
            await pressed.ApplyAsync(ns, $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: best-effort}
                spec:
                  nodeName: {{node}}
                  containers:
                  - name: app
                    image: {{ContainerdCluster.Busybox}}
                    imagePullPolicy: IfNotPresent
                    command: [sleep, "3600"]
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: burstable}
                spec:
                  nodeName: {{node}}
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: app
                    image: {{ContainerdCluster.Busybox}}
                    imagePullPolicy: IfNotPresent
                    command: [sleep, "3600"]
                    resources:
                      requests: {cpu: 10m}
                """);

            await Eventually.TrueAsync(async () => (await pressed.GetAsync("get", "pod", "burstable", "-n", ns))["status"]?["reason"]?.GetValue<string>() == "Evicted",
                Patience, "the burstable pod to be evicted");
            var refused = (await pressed.GetAsync("get", "pod", "best-effort", "-n", ns))["status"]!;
            var evicted = (await pressed.GetAsync("get", "pod", "burstable", "-n", ns))["status"]!;

            Assert.Equal("Failed", (string?)refused["phase"]);
            Assert.Equal("Evicted", (string?)refused["reason"]);
            Assert.Equal("The node had condition: [MemoryPressure]. ", (string?)refused["message"]);
            Assert.Equal("Failed", (string?)evicted["phase"]);
            Assert.Matches(@"^The node was low on resource: memory\. Threshold quantity: \d+Ki, available: \d+Ki\. Container app was using \d+(Ki)?, request is 0, has larger consumption of memory\. $",
                (string?)evicted["message"]);
            Assert.Contains(evicted["conditions"]!.AsArray(), c => (string?)c!["type"] == "DisruptionTarget" && (string?)c["reason"] == "TerminationByKubelet");
            await Eventually.TrueAsync(async () => (await pressed.GetAsync("get", "pod", "burstable", "-n", ns))["status"]?["containerStatuses"]?[0]?["state"]?["terminated"] is not null,
                Patience, "the evicted pod's container to stop");
            var events = (await pressed.Kubectl.SucceedAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=burstable")).Out;
            Assert.Contains("Evicted", events, StringComparison.Ordinal);
            await pressed.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
        }
        finally
        {
            await pressed.DisposeAsync();
        }
    }

    [Fact]
    public async Task Container_FailingItsExecLivenessProbe_IsRestarted()
    {
        var ns = await cluster.NamespaceAsync("liveness");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: flaky}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 3600']
                livenessProbe: {exec: {command: [cat, /tmp/alive]}, periodSeconds: 1, failureThreshold: 1}
            """);

        await Eventually.TrueAsync(async () => (await StatusAsync(ns, "flaky"))["containerStatuses"]?[0]?["restartCount"]?.GetValue<int>() >= 1,
            Patience, "the container to be restarted");
        var events = (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=flaky")).Out;
        Assert.Contains("Liveness probe failed: cat: can't open '/tmp/alive': No such file or directory", events, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task DeletedPod_WithAHostPort_LeavesNothingBehind()
    {
        var ns = await cluster.NamespaceAsync("clean");
        var hostPort = FreePort.Next();
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: exposed}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [httpd, -f, -p, "80", -h, /www]
                ports: [{containerPort: 80, hostPort: {{hostPort}}, hostIP: 127.0.0.1}]
                readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
            """);
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/exposed", "-n", ns, "--timeout=55s");
        var pod = await cluster.GetAsync("get", "pod", "exposed", "-n", ns);
        var (uid, ip) = (pod["metadata"]!["uid"]!.GetValue<string>(), pod["status"]!["podIP"]!.GetValue<string>());
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            Assert.Contains("hello from berth", await http.GetStringAsync(new Uri($"http://127.0.0.1:{hostPort}/")), StringComparison.Ordinal);
        Assert.NotEmpty(await VethsAsync());
        // The node's own forwarding chain, entered from FORWARD, lets its pods' traffic through (other test nodes on
        // this machine have theirs).
        var forward = (await ProgramRun.RunAsync("iptables", "-w", "-S")).Output;
        Assert.Contains($"-A FORWARD -j BERTH-{cluster.Bridge}", forward, StringComparison.Ordinal);
        Assert.Contains($"-A BERTH-{cluster.Bridge} -s {cluster.ClusterCidr} ", forward, StringComparison.Ordinal);
        Assert.Contains($"-A BERTH-{cluster.Bridge} -d {cluster.ClusterCidr} ", forward, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "pod", "exposed", "-n", ns, "--timeout=55s");

        Assert.Empty(await VethsAsync());
        var netns = Path.Combine(cluster.AgentDir, "containerd", "state", "io.containerd.grpc.v1.cri", "netns");
        Assert.Empty(Directory.Exists(netns) ? Directory.GetFileSystemEntries(netns) : []);
        Assert.False(Directory.Exists(Path.Combine(cluster.AgentDir, "logs", "pods", $"{ns}_exposed_{uid}")), "the pod's log directory is left");
        Assert.Empty(Directory.GetDirectories("/sys/fs/cgroup/memory", $"pod{uid}", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(cluster.AgentDir, "cni", "ipam", "berth", ip)), "the pod's address is still leased");
        var nat = (await ProgramRun.RunAsync("iptables", "-w", "-t", "nat", "-S")).Output;
        Assert.DoesNotContain($"--dport {hostPort.ToString(CultureInfo.InvariantCulture)}", nat, StringComparison.Ordinal);
        Assert.DoesNotContain(System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners(), l => l.Port == hostPort);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Logs_OfTheCurrentAndPreviousInstance_WithTailTimestampsAndFollow_ReadAsKubectlShowsThem()
    {
        var ns = await cluster.NamespaceAsync("logs");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: twice
            spec:
              terminationGracePeriodSeconds: 0
              volumes:
              - name: state
                emptyDir: {}
              containers:
              - name: app
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'if [ -e /state/ran ]; then echo second run; echo to stderr >&2; exec sleep 3600; else touch /state/ran; echo first run; exit 1; fi']
                volumeMounts:
                - name: state
                  mountPath: /state
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: slow
            spec:
              restartPolicy: Never
              containers:
              - name: app
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'echo early; sleep 3; echo late']
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));

        // Followed from while it runs, the log ends when the container does, with what it wrote meanwhile.
        await Eventually.TrueAsync(async () => await PhaseAsync(ns, "slow") is "Running" or "Succeeded", Patience, "the slow pod to run");
        Assert.Equal("early\nlate\n", (await cluster.Kubectl.SucceedAsync("logs", "-f", "slow", "-n", ns)).Out);

        await Eventually.TrueAsync(async () => (await StatusAsync(ns, "twice"))["containerStatuses"]?[0]?["state"]?["running"] is not null
            && (await StatusAsync(ns, "twice"))["containerStatuses"]?[0]?["restartCount"]?.GetValue<int>() == 1, Patience, "the second run");
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("logs", "twice", "-n", ns)).Out.Contains("to stderr", StringComparison.Ordinal),
            Patience, "the second run's output");
        // stdout and stderr reach the log through pipes of their own, so their lines may come in either order.
        var current = (await cluster.Kubectl.SucceedAsync("logs", "twice", "-n", ns)).Out;
        Assert.Equal(["second run", "to stderr"], current.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.Equal("first run\n", (await cluster.Kubectl.SucceedAsync("logs", "twice", "-n", ns, "--previous")).Out);
        Assert.Equal(current.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1] + "\n", (await cluster.Kubectl.SucceedAsync("logs", "twice", "-n", ns, "--tail=1")).Out);
        Assert.All((await cluster.Kubectl.SucceedAsync("logs", "twice", "-n", ns, "--timestamps")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (second run|to stderr)$", line));
        var missing = await cluster.Kubectl.RunAsync("logs", "slow", "-n", ns, "--previous");
        Assert.Contains("previous terminated container \"app\" in pod \"slow\" not found", missing.Err, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task ExitedContainers_ReportTheirTerminationMessage_FromTheFileOrTheEndOfTheirLog()
    {
        var ns = await cluster.NamespaceAsync("farewell");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: farewell}
            spec:
              restartPolicy: Never
              securityContext: {runAsUser: 1000}
              containers:
              - name: file
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'echo -n "written to the file" > /dev/termination-log; echo ignored; exit 1']
              - name: custom
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                terminationMessagePath: /tmp/why
                command: [sh, -c, 'echo -n "at a path of its own" > /tmp/why']
              - name: logs
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                terminationMessagePolicy: FallbackToLogsOnError
                command: [sh, -c, 'echo first words; echo last words; exit 2']
            """);

        await Eventually.TrueAsync(async () => await PhaseAsync(ns, "farewell") is "Failed", Patience, "the pod to fail");
        var states = (await StatusAsync(ns, "farewell"))["containerStatuses"]!.AsArray()
            .ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!["state"]!["terminated"]!);

        Assert.Equal("written to the file", states["file"]["message"]?.GetValue<string>());
        Assert.Equal("at a path of its own", states["custom"]["message"]?.GetValue<string>());
        Assert.Equal("first words\nlast words\n", states["logs"]["message"]?.GetValue<string>());
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Logs_GrowingPastTheirLimit_AreRotatedAndOnlyTheNewestRotationIsKept()
    {
        var ns = await cluster.NamespaceAsync("rotate");
        // About 100 KiB a second: more than the cluster's 64 KiB limit between two rotation passes.
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: chatty}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: chatty
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'i=0; while true; do i=$((i+1)); echo "line $i of a container that talks a lot"; [ $((i % 2500)) = 0 ] && sleep 1; done']
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/chatty", "--timeout=55s");
        var uid = (await cluster.GetAsync("get", "pod", "chatty", "-n", ns))["metadata"]!["uid"]!.GetValue<string>();
        var dir = Path.Combine(cluster.AgentDir, "logs", "pods", $"{ns}_chatty_{uid}", "chatty");
        string[] Rotated() => [.. Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>().Where(f => f.StartsWith("0.log.", StringComparison.Ordinal))];

        await Eventually.TrueAsync(() => Task.FromResult(Rotated().Length == 1), Patience, "the log to be rotated");
        var first = Rotated()[0];
        // A second rotation replaces the first: two files are kept, the live one and the newest rotated.
        await Eventually.TrueAsync(() => Task.FromResult(Rotated() is [var only] && only != first), Patience, "the log to be rotated again");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(Path.Combine(dir, "0.log"))), Patience, "the runtime to reopen the log");

        // The container writes to the reopened file, which kubectl logs reads.
        async Task<int> LastLineNumberAsync() =>
            (await cluster.Kubectl.SucceedAsync("logs", "-n", ns, "chatty", "--tail=1")).Out.Split(' ') is [_, var n, ..]
                && int.TryParse(n, CultureInfo.InvariantCulture, out var number) ? number : 0;
        var latest = await LastLineNumberAsync();
        await Eventually.TrueAsync(async () => await LastLineNumberAsync() > latest, Patience, "the log to go on after its rotation");
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    private async Task<JsonNode> StatusAsync(string ns, string pod) => (await cluster.GetAsync("get", "pod", pod, "-n", ns))["status"]!;

    private async Task<string?> PhaseAsync(string ns, string pod) => (await StatusAsync(ns, pod))["phase"]?.GetValue<string>();

    /// <summary>The veths attached to the cluster's bridge.</summary>
    private async Task<string[]> VethsAsync() =>
        (await ProgramRun.RunAsync("ip", "-o", "link", "show", "master", cluster.Bridge)).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("veth", StringComparison.Ordinal)).ToArray();

    private static bool InCidr(string ip, string cidr)
    {
        var (network, prefix) = (IPAddress.Parse(cidr.Split('/')[0]), int.Parse(cidr.Split('/')[1], CultureInfo.InvariantCulture));
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        static uint Value(IPAddress address) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        return IPAddress.Parse(ip).AddressFamily == AddressFamily.InterNetwork && (Value(IPAddress.Parse(ip)) & mask) == (Value(network) & mask);
    }
}
