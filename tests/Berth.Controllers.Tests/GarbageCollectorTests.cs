using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Cascading deletion through the real kubectl: the three propagation policies and dangling owners.</summary>
public sealed class GarbageCollectorTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Delete_WhenCascadeIsForeground_ThenDependentsGoFirstAndTheOwnerAfter()
    {
        var ns = await NewNamespaceAsync();
        var (replicaSet, pod) = await DeploymentChainAsync(ns);

        var deleted = await cluster.Kubectl.RunAsync("delete", "deployment", "web", "-n", ns, "--cascade=foreground");

        Assert.True(deleted.ExitCode == 0, deleted.Err);
        Assert.Contains("deployment.apps \"web\" deleted", deleted.Out, StringComparison.Ordinal);
        // kubectl waited for the deployment, which waited for its blocking dependents.
        Assert.Equal(404, (await cluster.SendAsync(HttpMethod.Get, $"/apis/apps/v1/namespaces/{ns}/replicasets/{replicaSet}")).Code);
        await Eventually.TrueAsync(async () => (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/{pod}")).Code == 404,
            Deadline, "the replica set's pod to be deleted");
    }

    [Fact]
    public async Task Delete_WhenCascadeIsOrphan_ThenDependentsStayWithoutTheOwnerReference()
    {
        var ns = await NewNamespaceAsync();
        var (replicaSet, pod) = await DeploymentChainAsync(ns);

        var deleted = await cluster.Kubectl.RunAsync("delete", "deployment", "web", "-n", ns, "--cascade=orphan");

        Assert.True(deleted.ExitCode == 0, deleted.Err);
        Assert.Equal(404, (await cluster.SendAsync(HttpMethod.Get, $"/apis/apps/v1/namespaces/{ns}/deployments/web")).Code);
        var (code, orphan) = await cluster.SendAsync(HttpMethod.Get, $"/apis/apps/v1/namespaces/{ns}/replicasets/{replicaSet}");
        Assert.Equal(200, code);
        Assert.Null(orphan!["metadata"]!["ownerReferences"]);
        var (podCode, stillOwned) = await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/{pod}");
        Assert.Equal(200, podCode);
        Assert.Equal(replicaSet, stillOwned!["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_WhenCascadeIsBackground_ThenTheOwnerGoesAtOnceAndDependentsFollow()
    {
        var ns = await NewNamespaceAsync();
        var (replicaSet, pod) = await DeploymentChainAsync(ns);

        var deleted = await cluster.Kubectl.RunAsync("delete", "deployment", "web", "-n", ns);
        Assert.True(deleted.ExitCode == 0, deleted.Err);

        var waited = await cluster.Kubectl.RunAsync("wait", "--for=delete", $"replicaset/{replicaSet}", $"pod/{pod}", "-n", ns, "--timeout=30s");
        Assert.True(waited.ExitCode == 0, waited.Err + waited.Out);
    }

    [Fact]
    public async Task Collector_WhenEveryOwnerIsGone_ThenDeletesTheDependent()
    {
        var ns = await NewNamespaceAsync();
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("dangling", Owner("ConfigMap", "never-existed", "0b0e1d7c-0000-4000-8000-000000000000")));

        await Eventually.TrueAsync(async () => (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/dangling")).Code == 404,
            Deadline, "the configmap whose owner never existed to be deleted");
    }

    [Fact]
    public async Task Collector_WhenOneOfTwoOwnersIsGone_ThenKeepsTheDependentAndDropsTheDanglingReference()
    {
        var ns = await NewNamespaceAsync();
        var owner = await cluster.CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("owner"));
        var live = Owner("ConfigMap", "owner", owner["metadata"]!["uid"]!.GetValue<string>());
        var gone = Owner("ConfigMap", "gone", "0b0e1d7c-0000-4000-8000-000000000001");
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap("shared", live, gone));

        await Eventually.TrueAsync(async () =>
        {
            var (code, body) = await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/shared");
            return code == 200 && body!["metadata"]!["ownerReferences"] is JsonArray { Count: 1 } refs && refs[0]!["name"]!.GetValue<string>() == "owner";
        }, Deadline, "the dangling owner reference to be removed");
    }

    [Fact]
    public async Task Collector_WhenTheOwnerIsACustomResourceDefinedAfterItStarted_ThenKeepsTheDependentAndDeletesItWithTheOwner()
    {
        var ns = await NewNamespaceAsync();
        var group = Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await cluster.CreateAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"apps.GROUP"},
             "spec":{"group":"GROUP","scope":"Namespaced","names":{"plural":"apps","kind":"App"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}
            """.Replace("GROUP", group, StringComparison.Ordinal));
        var waited = await cluster.Kubectl.RunAsync("wait", "--for", "condition=established", $"crd/apps.{group}", "--timeout=30s");
        Assert.True(waited.ExitCode == 0, waited.Err);
        var app = await cluster.CreateAsync($"/apis/{group}/v1/namespaces/{ns}/apps", """{"apiVersion":"GROUP/v1","kind":"App","metadata":{"name":"shop"}}""".Replace("GROUP", group, StringComparison.Ordinal));
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/configmaps",
            ConfigMap("settings", Owner("App", "shop", app["metadata"]!["uid"]!.GetValue<string>(), $"{group}/v1")));

        // The collector meets an owner of a kind it did not know, looks again, and finds the owner alive.
        var kept = await cluster.Kubectl.RunAsync("wait", "--for=jsonpath={.metadata.name}=settings", "configmap/settings", "-n", ns, "--timeout=5s");
        Assert.True(kept.ExitCode == 0, kept.Err);
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("delete", $"apps.{group}", "shop", "-n", ns)).ExitCode);

        await Eventually.TrueAsync(async () => (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/settings")).Code == 404,
            Deadline, "the configmap owned by the deleted custom resource to be deleted");
    }

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "gc-" + Guid.NewGuid().ToString("N")[..8];
        var created = await cluster.Kubectl.RunAsync("create", "namespace", ns);
        Assert.True(created.ExitCode == 0, created.Err);
        return ns;
    }

    /// <summary>A Deployment and what its controllers make of it: a ReplicaSet, and that ReplicaSet's pod.</summary>
    private async Task<(string ReplicaSet, string Pod)> DeploymentChainAsync(string ns)
    {
        var created = await cluster.Kubectl.RunAsync("create", "deployment", "web", "--image=registry.local/web:1", "-n", ns);
        Assert.True(created.ExitCode == 0, created.Err);
        var replicaSet = await OwnedAsync(ns, "/apis/apps/v1", "replicasets", "web");
        var pod = await OwnedAsync(ns, "/api/v1", "pods", replicaSet);
        return (replicaSet, pod);
    }

    /// <summary>The name of the first object of a resource that <paramref name="owner"/> controls, once there is one.</summary>
    private async Task<string> OwnedAsync(string ns, string api, string resource, string owner)
    {
        string? name = null;
        await Eventually.TrueAsync(async () =>
        {
            var (_, list) = await cluster.SendAsync(HttpMethod.Get, $"{api}/namespaces/{ns}/{resource}");
            name = list!["items"]!.AsArray().Select(i => i!["metadata"]!)
                .FirstOrDefault(m => m["ownerReferences"]?[0]?["name"]?.GetValue<string>() == owner)?["name"]!.GetValue<string>();
            return name is not null;
        }, Deadline, $"the {resource} of {owner}");
        return name!;
    }

    private static string Owner(string kind, string name, string uid, string apiVersion = "v1") =>
        $$"""{"apiVersion":"{{apiVersion}}","kind":"{{kind}}","name":"{{name}}","uid":"{{uid}}","controller":{{(kind == "ConfigMap" ? "false" : "true")}},"blockOwnerDeletion":true}""";

    private static string ConfigMap(string name, params string[] owners) =>
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":""" + $"\"{name}\"" + ""","ownerReferences":[""" + string.Join(",", owners) + """]},"data":{"k":"v"}}""";
}
