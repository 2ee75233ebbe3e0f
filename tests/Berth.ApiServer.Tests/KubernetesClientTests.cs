using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Berth.ApiServer.Tests;

/// <summary>The official C# client (KubernetesClient) against a real server, with the generated kubeconfig.</summary>
public sealed class KubernetesClientTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Kubernetes _client = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
    private readonly string _ns = "k" + Guid.NewGuid().ToString("N")[..10];

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task TypedCrud_WorksForKindsOfEveryGroup()
    {
        await CreateNamespaceAsync();
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        var meta = new V1ObjectMeta { Name = "web", Labels = labels };
        var podSpec = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = labels },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1.25" }] },
        };

        await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = meta, Data = new Dictionary<string, string> { ["k"] = "v" } }, _ns);
        await _client.CreateNamespacedSecretAsync(new V1Secret { Metadata = meta, StringData = new Dictionary<string, string> { ["k"] = "v" } }, _ns);
        await _client.CreateNamespacedServiceAsync(new V1Service { Metadata = meta, Spec = new V1ServiceSpec { Selector = labels, Ports = [new V1ServicePort { Port = 80 }] } }, _ns);
        await _client.CreateNamespacedDeploymentAsync(new V1Deployment { Metadata = meta, Spec = new V1DeploymentSpec { Replicas = 2, Selector = new V1LabelSelector { MatchLabels = labels }, Template = podSpec } }, _ns);
        var jobPodSpec = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = podSpec.Spec.Containers } };
        await _client.CreateNamespacedJobAsync(new V1Job { Metadata = meta, Spec = new V1JobSpec { Template = jobPodSpec } }, _ns);
        await _client.CreateNamespacedRoleAsync(new V1Role { Metadata = meta, Rules = [new V1PolicyRule { Verbs = ["get"], Resources = ["pods"], ApiGroups = [""] }] }, _ns);
        await _client.CreateNamespacedLeaseAsync(new V1Lease { Metadata = meta, Spec = new V1LeaseSpec { HolderIdentity = "me" } }, _ns);

        Assert.Equal("v", (await _client.ReadNamespacedConfigMapAsync("web", _ns)).Data["k"]);
        Assert.Equal(2, (await _client.ReadNamespacedDeploymentAsync("web", _ns)).Spec.Replicas);
        Assert.Equal(80, (await _client.ReadNamespacedServiceAsync("web", _ns)).Spec.Ports[0].Port);
        Assert.Equal("me", (await _client.ReadNamespacedLeaseAsync("web", _ns)).Spec.HolderIdentity);
        Assert.Single((await _client.ListNamespacedJobAsync(_ns)).Items);
        Assert.Single((await _client.ListNamespacedRoleAsync(_ns, labelSelector: "app=web")).Items);

        var deployment = await _client.ReadNamespacedDeploymentAsync("web", _ns);
        deployment.Spec.Replicas = 4;
        var replaced = await _client.ReplaceNamespacedDeploymentAsync(deployment, "web", _ns);
        Assert.Equal(4, replaced.Spec.Replicas);
        Assert.Equal(2, replaced.Metadata.Generation);

        var scale = await _client.ReadNamespacedDeploymentScaleAsync("web", _ns);
        Assert.Equal(4, scale.Spec.Replicas);
        Assert.Equal("app=web", scale.Status.Selector);

        await _client.DeleteNamespacedConfigMapAsync("web", _ns);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReadNamespacedConfigMapAsync("web", _ns));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Fact]
    public async Task Replace_WithAStaleResourceVersion_Is409()
    {
        await CreateNamespaceAsync();
        var created = await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, _ns);
        await _client.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"1"}}""", V1Patch.PatchType.MergePatch), "cm", _ns);

        created.Data = new Dictionary<string, string> { ["a"] = "2" };
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReplaceNamespacedConfigMapAsync(created, "cm", _ns));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        Assert.Equal("1", (await _client.ReadNamespacedConfigMapAsync("cm", _ns)).Data["a"]);
    }

    [Fact]
    public async Task List_InPagesWithContinue_ReturnsEveryObjectOnce()
    {
        await CreateNamespaceAsync();
        for (var i = 0; i < 12; i++)
            await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"cm-{i:D2}" } }, _ns);

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = await _client.ListNamespacedConfigMapAsync(_ns, limit: 5, continueParameter: token);
            names.AddRange(page.Items.Select(i => i.Metadata.Name));
            token = page.Metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"cm-{i:D2}"), names);
    }

    [Fact]
    public async Task Watch_ResumedFromTheLastResourceVersion_MissesNothing()
    {
        await CreateNamespaceAsync();
        var list = await _client.ListNamespacedConfigMapAsync(_ns);
        await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "first" } }, _ns);

        var (seen, last) = await WatchUntilAsync(list.Metadata.ResourceVersion, count: 1);
        await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "second" } }, _ns);
        await _client.DeleteNamespacedConfigMapAsync("first", _ns);
        var (resumed, _) = await WatchUntilAsync(last, count: 2);

        Assert.Equal([(WatchEventType.Added, "first")], seen);
        Assert.Equal([(WatchEventType.Added, "second"), (WatchEventType.Deleted, "first")], resumed);
    }

    [Fact]
    public async Task DryRunCreate_PersistsNothing()
    {
        await CreateNamespaceAsync();

        var answer = await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "dry" } }, _ns, dryRun: "All");

        Assert.NotNull(answer.Metadata.Uid);
        Assert.Empty((await _client.ListNamespacedConfigMapAsync(_ns)).Items);
    }

    [Fact]
    public async Task DeletePodOnANode_IsGracefulAndFinalizersHoldObjects()
    {
        await CreateNamespaceAsync();
        await _client.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "bound" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, _ns);
        await _client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, _ns);

        await _client.DeleteNamespacedPodAsync("bound", _ns);
        await _client.DeleteNamespacedConfigMapAsync("held", _ns);
        var pod = await _client.ReadNamespacedPodAsync("bound", _ns);
        var held = await _client.ReadNamespacedConfigMapAsync("held", _ns);

        Assert.NotNull(pod.Metadata.DeletionTimestamp);
        Assert.Equal(30, pod.Metadata.DeletionGracePeriodSeconds);
        Assert.NotNull(held.Metadata.DeletionTimestamp);
        await _client.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", _ns);
        Assert.Empty((await _client.ListNamespacedConfigMapAsync(_ns)).Items);
    }

    private async Task CreateNamespaceAsync() =>
        await _client.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });

    /// <summary>Watches configmaps from a resourceVersion until <paramref name="count"/> events came; returns them and the last resourceVersion.</summary>
    private async Task<(List<(WatchEventType, string)> Events, string LastVersion)> WatchUntilAsync(string resourceVersion, int count)
    {
        var events = new List<(WatchEventType, string)>();
        var last = resourceVersion;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var (type, item) in _client.CoreV1.WatchListNamespacedConfigMapAsync(_ns, resourceVersion: resourceVersion, cancellationToken: deadline.Token))
        {
            events.Add((type, item.Metadata.Name));
            last = item.Metadata.ResourceVersion;
            if (events.Count >= count)
                break;
        }
        return (events, last);
    }
}
