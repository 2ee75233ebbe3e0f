using System.Text.Json.Nodes;
using Berth.Testing;
using Berth.Testing.InProcess;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>Controllers stopped in the middle of a rollout and started afresh finish it, creating nothing twice.</summary>
public sealed class ControllerRestartTests
{
    [Fact]
    public async Task Controllers_WhenRestartedMidRollout_ThenFinishItWithoutDuplicates()
    {
        await using var server = await LocalApiServer.StartAsync("restart");
        var host = server.Host;
        using var stopping = new CancellationTokenSource();
        var cluster = WorkloadClusterFixture.RunNodesAndSchedulerAsync(server, stopping.Token);
        using var first = new CancellationTokenSource();
        var controllers = new ControllerManager(server.Client(host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System).RunAsync(first.Token);
        try
        {
            using var files = new TempDirectory("restart-manifests");
            var kubectl = server.Kubectl;
            await kubectl.SucceedAsync("apply", "-f", await files.WriteAsync("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: default}
                spec:
                  replicas: 6
                  minReadySeconds: 1
                  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: app, image: example.com/web:1}]}
                """));
            await kubectl.SucceedAsync("rollout", "status", "deployment/web", "--timeout=60s");

            // Start a rollout (each step waits for a new pod to be available for a second), and stop the controllers
            // once it is under way.
            await kubectl.SucceedAsync("set", "image", "deployment/web", "app=example.com/web:2");
            await Eventually.TrueAsync(async () => Updated(await GetAsync(kubectl, "deployment", "web")) > 0, TimeSpan.FromSeconds(30), "the rollout to start");
            await first.CancelAsync();
            await controllers;
            var midway = Updated(await GetAsync(kubectl, "deployment", "web"));

            controllers = new ControllerManager(server.Client(host.ControllerManagerCertificate), NullLoggerFactory.Instance, TimeProvider.System).RunAsync(stopping.Token);
            await kubectl.SucceedAsync("rollout", "status", "deployment/web", "--timeout=60s");

            Assert.InRange(midway, 1, 5);
            var sets = (await GetAsync(kubectl, "replicasets"))["items"]!.AsArray();
            Assert.Equal(2, sets.Count);
            var pods = (await GetAsync(kubectl, "pods"))["items"]!.AsArray().Where(p => p!["metadata"]!["deletionTimestamp"] is null).ToList();
            Assert.Equal(6, pods.Count);
            Assert.All(pods, p => Assert.Equal("example.com/web:2", p!["spec"]!["containers"]![0]!["image"]!.GetValue<string>()));
        }
        finally
        {
            await stopping.CancelAsync();
            await first.CancelAsync();
            await controllers;
            await cluster;
        }
    }

    private static int Updated(JsonNode deployment) => deployment["status"]?["updatedReplicas"]?.GetValue<int>() ?? 0;

    private static async Task<JsonNode> GetAsync(Kubectl kubectl, params string[] what) =>
        JsonNode.Parse((await kubectl.SucceedAsync(["get", .. what, "-n", "default", "-o", "json"])).Out)!;
}
