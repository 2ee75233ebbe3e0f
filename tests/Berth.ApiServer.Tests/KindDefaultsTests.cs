using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>Minimal manifests come back with upstream's defaults filled in, as kubectl get -o json and describe show them.</summary>
public sealed class KindDefaultsTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("defaults");
    private readonly string _ns = "def-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task CreatePod_GetsThePodSpecDefaultsAdmissionFieldsAndAQosClass()
    {
        await CreateAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[
              {"name":"web","image":"nginx","ports":[{"containerPort":80}],"readinessProbe":{"httpGet":{"path":"/","port":80}},
               "resources":{"requests":{"cpu":"100m"}}},
              {"name":"tagged","image":"registry.local/app:1.2","resources":{"limits":{"memory":"64Mi"},"requests":{"cpu":"50m"}}}]}}
            """);

        var pod = await GetAsync("pod", "p");
        var spec = pod["spec"]!;
        Assert.Equal("Always", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal(30, spec["terminationGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal("ClusterFirst", spec["dnsPolicy"]!.GetValue<string>());
        Assert.Equal("default-scheduler", spec["schedulerName"]!.GetValue<string>());
        Assert.Equal("default", spec["serviceAccountName"]!.GetValue<string>());
        Assert.Equal(0, spec["priority"]!.GetValue<int>());
        Assert.Equal("PreemptLowerPriority", spec["preemptionPolicy"]!.GetValue<string>());
        Assert.Null(spec["priorityClassName"]);
        Assert.Equal(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"], spec["tolerations"]!.AsArray().Select(t => t!["key"]!.GetValue<string>()));
        var web = spec["containers"]![0]!;
        Assert.Equal("Always", web["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", spec["containers"]![1]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("/dev/termination-log", web["terminationMessagePath"]!.GetValue<string>());
        Assert.Equal("TCP", web["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal("""{"failureThreshold":3,"httpGet":{"path":"/","port":80,"scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,"timeoutSeconds":1}""",
            Sorted(web["readinessProbe"]!));
        Assert.Equal("Burstable", pod["status"]!["qosClass"]!.GetValue<string>());
        // A limit without a request is requested too.
        Assert.Equal("""{"cpu":"50m","memory":"64Mi"}""", Sorted(spec["containers"]![1]!["resources"]!["requests"]!));
    }

    [Fact]
    public async Task CreateDeployment_GetsTheRollingUpdateStrategyAndDescribeShowsIt()
    {
        await CreateAsync("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},
             "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}
            """);

        var spec = (await GetAsync("deployment", "web"))["spec"]!;
        Assert.Equal(1, spec["replicas"]!.GetValue<int>());
        Assert.Equal("""{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"}""", Sorted(spec["strategy"]!));
        Assert.Equal(10, spec["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal(600, spec["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.Equal("IfNotPresent", spec["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
        var described = await Kubectl.RunAsync("describe", "deployment", "web", "-n", _ns);
        Assert.Matches(@"StrategyType:\s+RollingUpdate\n", described.Out);
        Assert.Matches(@"RollingUpdateStrategy:\s+25% max unavailable, 25% max surge\n", described.Out);
    }

    [Fact]
    public async Task CreateServiceJobAndCronJob_GetTheirDefaultsAndAJobItsSelector()
    {
        await CreateAsync("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}""");
        await CreateAsync("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}
            """);
        await CreateAsync("""
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"tick"},"spec":{"schedule":"*/5 * * * *",
             "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox"}]}}}}}}
            """);

        var service = (await GetAsync("service", "svc"))["spec"]!;
        var job = await GetAsync("job", "once");
        var cronJob = (await GetAsync("cronjob", "tick"))["spec"]!;

        Assert.Equal("ClusterIP", service["type"]!.GetValue<string>());
        Assert.Equal("None", service["sessionAffinity"]!.GetValue<string>());
        Assert.Equal("""{"port":80,"protocol":"TCP","targetPort":80}""", Sorted(service["ports"]![0]!));
        Assert.Equal(1, job["spec"]!["completions"]!.GetValue<int>());
        Assert.Equal(6, job["spec"]!["backoffLimit"]!.GetValue<int>());
        Assert.Equal("NonIndexed", job["spec"]!["completionMode"]!.GetValue<string>());
        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        Assert.Equal(uid, job["spec"]!["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>());
        Assert.Equal("once", job["spec"]!["template"]!["metadata"]!["labels"]!["job-name"]!.GetValue<string>());
        Assert.Equal("Allow", cronJob["concurrencyPolicy"]!.GetValue<string>());
        Assert.Equal(3, cronJob["successfulJobsHistoryLimit"]!.GetValue<int>());
        Assert.Equal("ClusterFirst", cronJob["jobTemplate"]!["spec"]!["template"]!["spec"]!["dnsPolicy"]!.GetValue<string>());
    }

    public void Dispose() => _files.Dispose();

    private static string Sorted(JsonNode node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":{Sorted(p.Value!)}")) + "}",
        _ => node.ToJsonString(),
    };

    private async Task CreateAsync(string json)
    {
        if ((await Kubectl.RunAsync("get", "namespace", _ns)).ExitCode != 0)
            Assert.Equal(0, (await Kubectl.RunAsync("create", "namespace", _ns)).ExitCode);
        var path = _files.File($"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        var created = await Kubectl.RunAsync("create", "-f", path, "-n", _ns);
        Assert.True(created.ExitCode == 0, created.Err);
    }

    private async Task<JsonNode> GetAsync(string kind, string name)
    {
        var got = await Kubectl.RunAsync("get", kind, name, "-n", _ns, "-o", "json");
        Assert.True(got.ExitCode == 0, got.Err);
        return JsonNode.Parse(got.Out)!;
    }
}
