using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>
/// Pods on hollow nodes through the real kubectl: the STATUS strings upstream shows through crash loops, init
/// containers, sidecars, probes, completion and rejection, and graceful deletion.
/// </summary>
public sealed class PodLifecycleTests(NodeClusterFixture cluster) : IClassFixture<NodeClusterFixture>
{
    [Fact]
    public async Task Pod_WhenBoundToAHollowNode_ThenItRunsIsReadyAndGoesWhenDeleted()
    {
        var ns = await NamespaceAsync("pods");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"nodeName":"sim-1","containers":[{"name":"web","image":"registry.local/web:1"},{"name":"log","image":"registry.local/log:1"}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/web", "-n", ns, "--timeout=30s");

        var row = (await cluster.Kubectl.SucceedAsync("get", "pod", "web", "-n", ns, "-o", "wide")).Out.Split('\n')[1];
        Assert.Matches(@"^web\s+2/2\s+Running\s+0\s+\S+\s+10\.42\.\d+\.\d+\s+sim-1\s", row);
        // The pod's address is in the pod CIDR node IPAM gave its node.
        var podCidr = (await cluster.GetAsync("get", "node", "sim-1"))["spec"]!["podCIDR"]!.GetValue<string>();
        var ip = (await cluster.GetAsync("get", "pod", "web", "-n", ns))["status"]!["podIP"]!.GetValue<string>();
        Assert.True(System.Net.IPNetwork.Parse(podCidr).Contains(System.Net.IPAddress.Parse(ip)), $"{ip} is not in {podCidr}");
        var status = (await cluster.GetAsync("get", "pod", "web", "-n", ns))["status"]!;
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"],
            status["conditions"]!.AsArray().Select(c => c!["type"]!.GetValue<string>()));
        Assert.All(status["containerStatuses"]!.AsArray(), c => Assert.NotNull(c!["state"]!["running"]!["startedAt"]));
        Assert.All(status["containerStatuses"]!.AsArray(), c => Assert.StartsWith("simulated://", c!["containerID"]!.GetValue<string>(), StringComparison.Ordinal));

        // The agent stops the containers and then deletes the pod for good, so kubectl's wait for it ends.
        var deleted = await cluster.Kubectl.SucceedAsync("delete", "pod", "web", "-n", ns, "--timeout=30s");
        Assert.Equal("pod \"web\" deleted\n", deleted.Out);
        Assert.NotEqual(0, (await cluster.Kubectl.RunAsync("get", "pod", "web", "-n", ns)).ExitCode);
    }

    [Fact]
    public async Task Pod_WhenItsContainersExitAndItNeverRestarts_ThenCompletedErrorOrOOMKilledAsKubectlShowsThem()
    {
        var ns = await NamespaceAsync("exits");
        foreach (var (name, exit) in new[] { ("done", "0.5s:0"), ("broken", "0.5s:3"), ("oom", "0.5s:137:OOMKilled") })
        {
            await CreateAsync(ns, """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","annotations":{"sim.berth.dev/exit.main":"EXIT"}},
                 "spec":{"nodeName":"sim-0","restartPolicy":"Never","containers":[{"name":"main","image":"registry.local/job:1"}]}}
                """.Replace("NAME", name, StringComparison.Ordinal).Replace("EXIT", exit, StringComparison.Ordinal));
        }

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/done", "-n", ns, "--timeout=30s");
        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Failed", "pod/broken", "pod/oom", "-n", ns, "--timeout=30s");

        var rows = (await cluster.Kubectl.SucceedAsync("get", "pods", "-n", ns)).Out.Split('\n');
        Assert.Matches(@"^broken\s+0/1\s+Error\s+0\s", rows[1]);
        Assert.Matches(@"^done\s+0/1\s+Completed\s+0\s", rows[2]);
        Assert.Matches(@"^oom\s+0/1\s+OOMKilled\s+0\s", rows[3]);
        var terminated = (await cluster.GetAsync("get", "pod", "broken", "-n", ns))["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!;
        Assert.Equal(3, terminated["exitCode"]!.GetValue<int>());
        var done = (await cluster.GetAsync("get", "pod", "done", "-n", ns))["status"]!["conditions"]!.AsArray();
        Assert.Equal("PodCompleted", done.Single(c => c!["type"]!.GetValue<string>() == "Ready")!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pod_WhoseContainerKeepsCrashing_ThenCrashLoopBackOffWithUpstreamsDoublingBackOff()
    {
        var ns = await NamespaceAsync("crash");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"crashy","annotations":{"sim.berth.dev/exit.main":"0.2s:1"}},
             "spec":{"nodeName":"sim-2","containers":[{"name":"main","image":"registry.local/crash:1"}]}}
            """);

        // It exits, is restarted at once (restart 1), exits again and then waits 10 s: CrashLoopBackOff.
        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff", "pod/crashy", "-n", ns, "--timeout=30s");
        var pod = await cluster.GetAsync("get", "pod", "crashy", "-n", ns);
        var container = pod["status"]!["containerStatuses"]![0]!;
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        Assert.Equal($"back-off 10s restarting failed container=main pod=crashy_{ns}({uid})", container["state"]!["waiting"]!["message"]!.GetValue<string>());
        Assert.Equal(1, container["restartCount"]!.GetValue<int>());
        Assert.Equal(1, container["lastState"]!["terminated"]!["exitCode"]!.GetValue<int>());
        Assert.Equal("Running", pod["status"]!["phase"]!.GetValue<string>());
        var row = (await cluster.Kubectl.SucceedAsync("get", "pod", "crashy", "-n", ns)).Out.Split('\n')[1];
        Assert.Matches(@"^crashy\s+0/1\s+CrashLoopBackOff\s+1 \(\S+ ago\)\s", row);

        // After the 10 s it runs again (restart 2), crashes, and now waits twice as long.
        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.containerStatuses[0].restartCount}=2", "pod/crashy", "-n", ns, "--timeout=40s");
        await Eventually.TrueAsync(async () => (await WaitingMessageAsync(ns, "crashy")).StartsWith("back-off 20s ", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the second back-off");
    }

    [Fact]
    public async Task InitContainers_RunOneByOne_AndKubectlShowsInitProgressAndInitFailures()
    {
        var ns = await NamespaceAsync("init");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"slow","annotations":{"sim.berth.dev/exit.first":"0.2s:0","sim.berth.dev/exit.second":"600s:0"}},
             "spec":{"nodeName":"sim-0","initContainers":[{"name":"first","image":"registry.local/init:1"},{"name":"second","image":"registry.local/init:1"}],
                     "containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """);
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"failing","annotations":{"sim.berth.dev/exit.setup":"0.2s:2"}},
             "spec":{"nodeName":"sim-0","restartPolicy":"Never","initContainers":[{"name":"setup","image":"registry.local/init:1"}],
                     "containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """);
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"ready","annotations":{"sim.berth.dev/exit.setup":"0.2s:0"}},
             "spec":{"nodeName":"sim-0","initContainers":[{"name":"setup","image":"registry.local/init:1"}],
                     "containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.initContainerStatuses[1].state.running}", "pod/slow", "-n", ns, "--timeout=30s");
        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Failed", "pod/failing", "-n", ns, "--timeout=30s");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/ready", "-n", ns, "--timeout=30s");

        var rows = (await cluster.Kubectl.SucceedAsync("get", "pods", "-n", ns)).Out.Split('\n');
        Assert.Matches(@"^failing\s+0/1\s+Init:Error\s+0\s", rows[1]);
        Assert.Matches(@"^ready\s+1/1\s+Running\s+0\s", rows[2]);
        Assert.Matches(@"^slow\s+0/1\s+Init:1/2\s+0\s", rows[3]);
        var slow = (await cluster.GetAsync("get", "pod", "slow", "-n", ns))["status"]!;
        Assert.Equal("Pending", slow["phase"]!.GetValue<string>());
        var initialized = slow["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Initialized")!;
        Assert.Equal("containers with incomplete status: [second]", initialized["message"]!.GetValue<string>());
        Assert.Equal("PodInitializing", slow["containerStatuses"]![0]!["state"]!["waiting"]!["reason"]!.GetValue<string>());
        Assert.Equal("Completed", slow["initContainerStatuses"]![0]!["state"]!["terminated"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sidecar_StartsBeforeTheAppRunsBesideItAndStopsWhenTheAppIsDone()
    {
        var ns = await NamespaceAsync("sidecar");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"job","annotations":{"sim.berth.dev/exit.main":"6s:0"}},
             "spec":{"nodeName":"sim-1","restartPolicy":"Never",
                     "initContainers":[{"name":"proxy","image":"registry.local/proxy:1","restartPolicy":"Always"}],
                     "containers":[{"name":"main","image":"registry.local/job:1"}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.containerStatuses[0].state.running}", "pod/job", "-n", ns, "--timeout=30s");
        var running = (await cluster.GetAsync("get", "pod", "job", "-n", ns))["status"]!;
        Assert.True(running["initContainerStatuses"]![0]!["started"]!.GetValue<bool>());
        Assert.True(running["initContainerStatuses"]![0]!["ready"]!.GetValue<bool>());
        Assert.Equal("Running", running["phase"]!.GetValue<string>());

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/job", "-n", ns, "--timeout=30s");
        var done = (await cluster.GetAsync("get", "pod", "job", "-n", ns))["status"]!;
        Assert.NotNull(done["initContainerStatuses"]![0]!["state"]!["terminated"]);
        Assert.Matches(@"^job\s+0/2\s+Completed\s+0\s", (await cluster.Kubectl.SucceedAsync("get", "pod", "job", "-n", ns)).Out.Split('\n')[1]);
    }

    [Fact]
    public async Task Probes_ReadinessGatesTheReadyConditionAndAFailedLivenessProbeRestartsTheContainer()
    {
        var ns = await NamespaceAsync("probes");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"warming","annotations":{"sim.berth.dev/readiness-fails.web":"0s-8s"}},
             "spec":{"nodeName":"sim-2","containers":[{"name":"web","image":"registry.local/web:1",
               "readinessProbe":{"httpGet":{"path":"/ready","port":8080},"periodSeconds":1,"failureThreshold":1}}]}}
            """);
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"hanging","annotations":{"sim.berth.dev/liveness-fails.web":"1s-"}},
             "spec":{"nodeName":"sim-2","containers":[{"name":"web","image":"registry.local/web:1",
               "livenessProbe":{"exec":{"command":["true"]},"periodSeconds":1,"failureThreshold":2}}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Running", "pod/warming", "-n", ns, "--timeout=30s");
        var early = (await cluster.GetAsync("get", "pod", "warming", "-n", ns))["status"]!;
        Assert.False(early["containerStatuses"]![0]!["ready"]!.GetValue<bool>());
        var notReady = early["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "ContainersReady")!;
        Assert.Equal("ContainersNotReady", notReady["reason"]!.GetValue<string>());
        Assert.Equal("containers with unready status: [web]", notReady["message"]!.GetValue<string>());
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/warming", "-n", ns, "--timeout=30s");

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.containerStatuses[0].restartCount}=1", "pod/hanging", "-n", ns, "--timeout=30s");
        var restarted = (await cluster.GetAsync("get", "pod", "hanging", "-n", ns))["status"]!["containerStatuses"]![0]!;
        Assert.Equal(143, restarted["lastState"]!["terminated"]!["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task ReadinessGates_KeepThePodUnreadyUntilTheirConditionIsTrue()
    {
        var ns = await NamespaceAsync("gates");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"gated"},
             "spec":{"nodeName":"sim-0","readinessGates":[{"conditionType":"example.com/load-balancer"}],"containers":[{"name":"web","image":"registry.local/web:1"}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=ContainersReady", "pod/gated", "-n", ns, "--timeout=30s");
        var ready = await ConditionAsync(ns, "gated", "Ready");
        Assert.Equal("False", ready["status"]!.GetValue<string>());
        Assert.Equal("ReadinessGatesNotReady", ready["reason"]!.GetValue<string>());
        Assert.Equal("corresponding condition of pod readiness gate \"example.com/load-balancer\" does not exist.", ready["message"]!.GetValue<string>());

        // Another controller sets the gate's condition; the agent keeps it and the pod becomes Ready.
        await cluster.Kubectl.SucceedAsync("patch", "pod", "gated", "-n", ns, "--subresource=status", "--type=strategic",
            "-p", """{"status":{"conditions":[{"type":"example.com/load-balancer","status":"True"}]}}""");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/gated", "-n", ns, "--timeout=30s");
        Assert.Equal("True", (await ConditionAsync(ns, "gated", "example.com/load-balancer"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task GracefulDeletion_WaitsForAContainerThatIgnoresSigtermUntilItsGracePeriodEnds()
    {
        var ns = await NamespaceAsync("grace");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"stubborn","annotations":{"sim.berth.dev/ignore-sigterm.main":"true"}},
             "spec":{"nodeName":"sim-1","terminationGracePeriodSeconds":3,"containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """);
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/stubborn", "-n", ns, "--timeout=30s");

        var clock = Stopwatch.StartNew();
        var deleting = cluster.Kubectl.SucceedAsync("delete", "pod", "stubborn", "-n", ns, "--timeout=30s");
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "pod", "stubborn", "-n", ns)).Out.Contains("Terminating", StringComparison.Ordinal) || deleting.IsCompleted,
            TimeSpan.FromSeconds(10), "the pod to show Terminating");
        Assert.False(deleting.IsCompleted, "the pod went before its grace period ended");
        await deleting;

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"the pod went after {clock.Elapsed.TotalSeconds:0.0} s, before its 3 s grace period ended");
        Assert.NotEqual(0, (await cluster.Kubectl.RunAsync("get", "pod", "stubborn", "-n", ns)).ExitCode);
    }

    [Fact]
    public async Task Admission_RejectsPodsThatDoNotFitOrMatchTheirNode_WithUpstreamsReasons()
    {
        var ns = await NamespaceAsync("admit");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"huge"},
             "spec":{"nodeName":"sim-0","containers":[{"name":"main","image":"registry.local/app:1","resources":{"requests":{"cpu":"40"}}}]}}
            """);
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"elsewhere"},
             "spec":{"nodeName":"sim-0","nodeSelector":{"disktype":"ssd"},"containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """);
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"port-a"},
             "spec":{"nodeName":"sim-0","containers":[{"name":"main","image":"registry.local/app:1","ports":[{"containerPort":80,"hostPort":18080}]}]}}
            """);
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/port-a", "-n", ns, "--timeout=30s");
        await CreateAsync(ns, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"port-b"},
             "spec":{"nodeName":"sim-0","containers":[{"name":"main","image":"registry.local/app:1","ports":[{"containerPort":80,"hostPort":18080}]}]}}
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=jsonpath={.status.phase}=Failed", "pod/huge", "pod/elsewhere", "pod/port-b", "-n", ns, "--timeout=30s");
        var huge = (await cluster.GetAsync("get", "pod", "huge", "-n", ns))["status"]!;
        Assert.Equal("OutOfcpu", huge["reason"]!.GetValue<string>());
        Assert.Matches(@"^Pod was rejected: Node didn't have enough resource: cpu, requested: 40000, used: \d+, capacity: 32000$", huge["message"]!.GetValue<string>());
        var rows = (await cluster.Kubectl.SucceedAsync("get", "pods", "-n", ns)).Out.Split('\n');
        Assert.Matches(@"^elsewhere\s+0/1\s+NodeAffinity\s", rows[1]);
        Assert.Matches(@"^huge\s+0/1\s+OutOfcpu\s", rows[2]);
        Assert.Matches(@"^port-a\s+1/1\s+Running\s", rows[3]);
        Assert.Matches(@"^port-b\s+0/1\s+NodePorts\s", rows[4]);
    }

    [Fact]
    public async Task RestartedAgent_AdoptsWhatItsRuntimeStillRunsAndRemovesWhatBelongsToNoPod()
    {
        var ns = await NamespaceAsync("adopt");
        var node = "adopter-" + Guid.NewGuid().ToString("N")[..6];
        var runtime = new SimulatedRuntime(PodNetwork.Fixed("10.99.0.0/24"), TimeProvider.System);
        using (var firstRun = new CancellationTokenSource())
        {
            var running = AgentFor(node, runtime).RunAsync(firstRun.Token);
            foreach (var name in new[] { "keep", "gone" })
            {
                await CreateAsync(ns, """
                    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME"},"spec":{"nodeName":"NODE","containers":[{"name":"main","image":"registry.local/app:1"}]}}
                    """.Replace("NAME", name, StringComparison.Ordinal).Replace("NODE", node, StringComparison.Ordinal));
            }
            await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/keep", "pod/gone", "-n", ns, "--timeout=30s");
            await firstRun.CancelAsync();
            await running;
        }
        var before = (await cluster.GetAsync("get", "pod", "keep", "-n", ns))["status"]!["containerStatuses"]![0]!;
        // While the agent is away, one pod is removed for good; its containers are still in the runtime.
        await cluster.Kubectl.SucceedAsync("delete", "pod", "gone", "-n", ns, "--grace-period=0", "--force");

        using var secondRun = new CancellationTokenSource();
        var restarted = AgentFor(node, runtime).RunAsync(secondRun.Token);
        await Eventually.TrueAsync(async () => (await runtime.ListPodSandboxesAsync(CancellationToken.None)).All(s => s.Pod.Name != "gone"),
            TimeSpan.FromSeconds(30), "the restarted agent to remove the deleted pod's sandbox");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/keep", "-n", ns, "--timeout=30s");
        var after = (await cluster.GetAsync("get", "pod", "keep", "-n", ns))["status"]!["containerStatuses"]![0]!;
        var containers = await runtime.ListContainersAsync(null, CancellationToken.None);
        await secondRun.CancelAsync();
        await restarted;

        Assert.Equal(before["containerID"]!.GetValue<string>(), after["containerID"]!.GetValue<string>());
        Assert.Equal(0, after["restartCount"]!.GetValue<int>());
        Assert.Single(containers);
    }

    private NodeAgent AgentFor(string node, SimulatedRuntime runtime) =>
        new(cluster.NodeClient, new NodeDescription(node, NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"), LocalMachine.Labels(node, new Dictionary<string, string>())),
            NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance,
            new PodLifecycle(cluster.NodeClient, runtime, runtime, node, "127.0.0.1", TimeProvider.System, NullLoggerFactory.Instance));

    private async Task<string> NamespaceAsync(string purpose)
    {
        var ns = $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        return ns;
    }

    private async Task CreateAsync(string ns, string manifest) =>
        await cluster.Kubectl.SucceedAsync("create", "-f", await cluster.Files.WriteAsync(manifest, ".json"), "-n", ns);

    private async Task<JsonNode> ConditionAsync(string ns, string pod, string type) =>
        (await cluster.GetAsync("get", "pod", pod, "-n", ns))["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == type)!;

    private async Task<string> WaitingMessageAsync(string ns, string pod) =>
        (await cluster.GetAsync("get", "pod", pod, "-n", ns))["status"]!["containerStatuses"]![0]!["state"]!["waiting"]?["message"]?.GetValue<string>() ?? "";
}
