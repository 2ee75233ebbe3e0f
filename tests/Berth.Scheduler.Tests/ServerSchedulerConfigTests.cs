using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Scheduler.Tests;

/// <summary><c>berth server --scheduler-config</c> as a process: a configuration that packs pods, and one it refuses.</summary>
public sealed class ServerSchedulerConfigTests
{
    private static string Binary => Repository.Binary;

    [Fact]
    public async Task Server_WithAMostAllocatedProfile_PacksPodsOntoOneNode()
    {
        using var files = new TempDirectory("scheduler-config");
        var config = files.File("scheduler.yaml");
        await File.WriteAllTextAsync(config, """
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - schedulerName: default-scheduler
              plugins:
                score:
                  disabled:
                  - name: NodeResourcesBalancedAllocation
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: MostAllocated
            """);
        await using var server = await BerthServerProcess.StartAsync(Binary,
            "--disable-agent", "--scheduler-config", config, "--simulated-nodes", "3", "--simulated-node-capacity", "cpu=4,memory=8Gi");
        var kubectl = new Kubectl(server.KubeconfigPath, files.File("kube-cache"));
        await Eventually.TrueAsync(async () => (await kubectl.RunAsync("get", "node", "sim-2")).ExitCode == 0, TimeSpan.FromSeconds(30), "sim-2 to register");
        await kubectl.SucceedAsync("wait", "--for=condition=Ready", "node/sim-0", "node/sim-1", "node/sim-2", "--timeout=30s");

        for (var i = 0; i < 4; i++)
        {
            // One at a time, so that each is placed knowing where the last one went.
            await kubectl.SucceedAsync("run", $"packed-{i}", "--image=registry.local/app:1", "--restart=Never", "--overrides",
                """{"spec":{"containers":[{"name":"app","image":"registry.local/app:1","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}]}}""");
            await kubectl.SucceedAsync("wait", "--for=condition=PodScheduled", $"pod/packed-{i}", "--timeout=30s");
        }

        var nodes = JsonNode.Parse((await kubectl.SucceedAsync("get", "pods", "-o", "json")).Out)!["items"]!.AsArray()
            .Select(p => p!["spec"]!["nodeName"]!.GetValue<string>()).Distinct().ToList();
        Assert.Single(nodes);
    }

    [Fact]
    public async Task Server_WithAConfigurationNamingAnUnknownPlugin_RefusesToStart()
    {
        using var files = new TempDirectory("scheduler-config");
        var config = files.File("scheduler.yaml");
        await File.WriteAllTextAsync(config, """
            apiVersion: kubescheduler.config.k8s.io/v1
            kind: KubeSchedulerConfiguration
            profiles:
            - plugins:
                filter:
                  enabled:
                  - name: NodeMagic
            """);
        var info = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "server", "--data-dir", files.File("data"), "--scheduler-config", config })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("berth server: --scheduler-config: profiles[default-scheduler]: plugin \"NodeMagic\" does not exist", error.Trim());
    }
}
