using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>Upstream's ServiceAccount admission: new pods get the <c>kube-api-access</c> volume unless they or their account opt out.</summary>
public sealed class ServiceAccountAdmissionTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly TempDirectory _files = new("sa-admission");
    private readonly string _ns = "sa-adm-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Pod_OfAnAccountThatMountsItsToken_GetsTheProjectedVolumeInEveryContainerWithoutOneThere()
    {
        await ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: mounted}
            spec:
              initContainers:
              - {name: init, image: busybox}
              containers:
              - {name: app, image: busybox}
              - name: own
                image: busybox
                volumeMounts: [{name: mine, mountPath: /var/run/secrets/kubernetes.io/serviceaccount/}]
              volumes:
              - {name: mine, emptyDir: {}}
            """);

        var spec = (await GetAsync("mounted"))["spec"]!;
        var volume = spec["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>().StartsWith("kube-api-access-", StringComparison.Ordinal))!;
        var name = volume["name"]!.GetValue<string>();

        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"defaultMode": 420, "sources": [
              {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
              {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
              {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}
            """), volume["projected"]), volume.ToJsonString());
        var expected = JsonNode.Parse($$"""[{"name": "{{name}}", "readOnly": true, "mountPath": "{{MountPath}}"}]""");
        Assert.True(JsonNode.DeepEquals(expected, spec["initContainers"]![0]!["volumeMounts"]), spec["initContainers"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected, spec["containers"]![0]!["volumeMounts"]), spec["containers"]!.ToJsonString());
        Assert.Equal("mine", spec["containers"]![1]!["volumeMounts"]!.AsArray().Single()!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pod_ThatOptsOutOrWhoseAccountDoes_GetsNoTokenVolume_UnlessThePodOptsBackIn()
    {
        await ApplyAsync("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: quiet}
            automountServiceAccountToken: false
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pod-says-no}
            spec:
              automountServiceAccountToken: false
              containers: [{name: app, image: busybox}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: account-says-no}
            spec:
              serviceAccountName: quiet
              containers: [{name: app, image: busybox}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: pod-overrides}
            spec:
              serviceAccountName: quiet
              automountServiceAccountToken: true
              containers: [{name: app, image: busybox}]
            """);

        Assert.Null((await GetAsync("pod-says-no"))["spec"]!["volumes"]);
        Assert.Null((await GetAsync("account-says-no"))["spec"]!["volumes"]);
        Assert.Single((await GetAsync("pod-overrides"))["spec"]!["volumes"]!.AsArray());
    }

    public async Task InitializeAsync() => await server.Kubectl.SucceedAsync("create", "namespace", _ns);

    public async Task DisposeAsync()
    {
        await server.Kubectl.SucceedAsync("delete", "namespace", _ns, "--wait=false");
        _files.Dispose();
    }

    private async Task ApplyAsync(string yaml)
    {
        var file = _files.File(Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        await server.Kubectl.SucceedAsync("apply", "-n", _ns, "-f", file);
    }

    private async Task<JsonNode> GetAsync(string pod) =>
        JsonNode.Parse((await server.Kubectl.SucceedAsync("get", "pod", pod, "-n", _ns, "-o", "json")).Out)!;
}
