using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Deleting a namespace through the real kubectl empties it, then removes it; finalizers hold it back.</summary>
public sealed class NamespaceControllerTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DeleteNamespace_WhenItHasContent_ThenEverythingInItGoesAndKubectlReturns()
    {
        var ns = "ns-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "namespace", ns)).ExitCode);
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "configmap", "settings", "--from-literal=a=b", "-n", ns)).ExitCode);
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "secret", "generic", "token", "--from-literal=t=x", "-n", ns)).ExitCode);
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "deployment", "web", "--image=registry.local/web:1", "-n", ns)).ExitCode);
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "serviceaccount", "robot", "-n", ns)).ExitCode);

        var deleted = await cluster.Kubectl.RunAsync("delete", "namespace", ns);

        Assert.True(deleted.ExitCode == 0, deleted.Err);
        Assert.Contains($"namespace \"{ns}\" deleted", deleted.Out, StringComparison.Ordinal);
        var gone = await cluster.Kubectl.RunAsync("get", "namespace", ns);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains($"namespaces \"{ns}\" not found", gone.Err, StringComparison.Ordinal);
        Assert.Equal(404, (await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/settings")).Code);
    }

    [Fact]
    public async Task DeleteNamespace_WhenItHoldsCustomResources_ThenTheyGoWithIt()
    {
        var ns = "ns-" + Guid.NewGuid().ToString("N")[..8];
        var group = Guid.NewGuid().ToString("N")[..8] + ".example.com";
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "namespace", ns)).ExitCode);
        await cluster.CreateAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", """
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.GROUP"},
             "spec":{"group":"GROUP","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}
            """.Replace("GROUP", group, StringComparison.Ordinal));
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("wait", "--for", "condition=established", $"crd/widgets.{group}", "--timeout=30s")).ExitCode);
        await cluster.CreateAsync($"/apis/{group}/v1/namespaces/{ns}/widgets", """{"apiVersion":"GROUP/v1","kind":"Widget","metadata":{"name":"w"}}""".Replace("GROUP", group, StringComparison.Ordinal));

        var deleted = await cluster.Kubectl.RunAsync("delete", "namespace", ns);

        Assert.True(deleted.ExitCode == 0, deleted.Err);
        Assert.Equal(404, (await cluster.SendAsync(HttpMethod.Get, $"/apis/{group}/v1/namespaces/{ns}/widgets/w")).Code);
    }

    [Fact]
    public async Task DeleteNamespace_WhenContentHasAFinalizer_ThenItStaysTerminatingAndSaysWhyUntilTheFinalizerGoes()
    {
        var ns = "ns-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await cluster.Kubectl.RunAsync("create", "namespace", ns)).ExitCode);
        await cluster.CreateAsync($"/api/v1/namespaces/{ns}/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","finalizers":["example.com/hold"]}}""");

        var deleted = await cluster.Kubectl.RunAsync("delete", "namespace", ns, "--wait=false");
        Assert.True(deleted.ExitCode == 0, deleted.Err);

        JsonNode? conditions = null;
        await Eventually.TrueAsync(async () =>
        {
            var (_, body) = await cluster.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}");
            conditions = body?["status"]?["conditions"];
            return Condition(conditions, "NamespaceFinalizersRemaining")?["status"]?.GetValue<string>() == "True";
        }, Deadline, "the namespace to report the finalizer that holds it");
        Assert.Equal("Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
            Condition(conditions, "NamespaceFinalizersRemaining")!["message"]!.GetValue<string>());
        Assert.Equal("Some resources are remaining: configmaps. has 1 resource instances",
            Condition(conditions, "NamespaceContentRemaining")!["message"]!.GetValue<string>());
        var listed = await cluster.Kubectl.RunAsync("get", "namespace", ns);
        Assert.Contains("Terminating", listed.Out, StringComparison.Ordinal);

        var released = await cluster.Kubectl.RunAsync("patch", "configmap", "held", "-n", ns, "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
        Assert.True(released.ExitCode == 0, released.Err);
        var waited = await cluster.Kubectl.RunAsync("wait", "--for=delete", $"namespace/{ns}", "--timeout=30s");
        Assert.True(waited.ExitCode == 0, waited.Err + waited.Out);
    }

    private static JsonNode? Condition(JsonNode? conditions, string type) =>
        (conditions as JsonArray)?.FirstOrDefault(c => c?["type"]?.GetValue<string>() == type);
}
