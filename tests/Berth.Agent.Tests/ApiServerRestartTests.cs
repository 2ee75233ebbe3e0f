using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;
using Berth.ApiServer;
using Berth.Client;
using Berth.Storage.Sqlite;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Agent.Tests;

/// <summary>An agent rides out its API server going away and coming back on the same address, losing no pod.</summary>
public sealed class ApiServerRestartTests
{
    [Fact]
    public async Task Agent_WhenTheApiServerRestarts_ThenItReconnectsKeepsItsPodsAndRunsNewOnes()
    {
        using var directory = new TempDirectory("restart");
        using var files = new TempDirectory("restart-manifests");
        await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = directory.File("state.db"), WatchProgressInterval = TimeSpan.FromMilliseconds(500) });
        var host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDir = directory.Path, HttpsPort = 0 }, store, NullLoggerFactory.Instance, CancellationToken.None);
        var kubectl = new Kubectl(host.KubeconfigPath, directory.File("kube-cache"));
        using var client = ApiClient.Create(host.Url, host.CertificateAuthority, host.IssueNodeCertificate("steady"));
        var runtime = new SimulatedRuntime(PodNetwork.Fixed("10.98.0.0/24"), TimeProvider.System);
        var description = new NodeDescription("steady", NodeCapacity.Simulated, "127.0.0.1", LocalMachine.Identity("simulated://berth"), LocalMachine.Labels("steady", new Dictionary<string, string>()));
        using var stop = new CancellationTokenSource();
        var agent = new NodeAgent(client, description, NodeClusterFixture.FastTiming, TimeProvider.System, NullLogger.Instance,
            new PodLifecycle(client, runtime, runtime, "steady", "127.0.0.1", TimeProvider.System, NullLoggerFactory.Instance)).RunAsync(stop.Token);
        try
        {
            await CreatePodAsync(kubectl, files, "before");
            await kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/before", "--timeout=30s");
            var containerId = await ContainerIdAsync(kubectl, "before");

            var port = host.Url.Port;
            await host.DisposeAsync();
            host = await ApiServerHost.StartAsync(new ApiServerOptions { DataDir = directory.Path, HttpsPort = port }, store, NullLoggerFactory.Instance, CancellationToken.None);

            // The lease is renewed again, the pod that ran before still runs the same container, and a pod created
            // after the restart runs: the agent's watch came back.
            var renewed = await RenewTimeAsync(kubectl);
            await Eventually.TrueAsync(async () => await RenewTimeAsync(kubectl) != renewed, TimeSpan.FromSeconds(30), "the lease to be renewed after the restart");
            await CreatePodAsync(kubectl, files, "after");
            await kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/after", "--timeout=30s");
            Assert.Equal(containerId, await ContainerIdAsync(kubectl, "before"));
            Assert.Equal(2, (await runtime.ListContainersAsync(null, CancellationToken.None)).Count);
        }
        finally
        {
            await stop.CancelAsync();
            await agent;
            await host.DisposeAsync();
        }
    }

    private static async Task CreatePodAsync(Kubectl kubectl, TempDirectory files, string name) =>
        await kubectl.SucceedAsync("create", "-f", await files.WriteAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","namespace":"default"},"spec":{"nodeName":"steady","containers":[{"name":"main","image":"registry.local/app:1"}]}}
            """.Replace("NAME", name, StringComparison.Ordinal), ".json"));

    private static async Task<string> ContainerIdAsync(Kubectl kubectl, string pod) =>
        JsonNode.Parse((await kubectl.SucceedAsync("get", "pod", pod, "-o", "json")).Out)!["status"]!["containerStatuses"]![0]!["containerID"]!.GetValue<string>();

    private static async Task<string> RenewTimeAsync(Kubectl kubectl) =>
        JsonNode.Parse((await kubectl.SucceedAsync("get", "lease", "steady", "-n", "kube-node-lease", "-o", "json")).Out)!["spec"]!["renewTime"]!.GetValue<string>();
}
