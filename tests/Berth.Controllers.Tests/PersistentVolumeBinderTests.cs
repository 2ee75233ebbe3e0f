using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Claims bound to volumes made beforehand, as upstream's persistentvolume-binder binds them.</summary>
public sealed class PersistentVolumeBinderTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _files = new("pv-binder");
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Claims_AreBoundToTheSmallestVolumeThatSatisfiesThem_AndTheirVolumesAreReleasedWhenTheyGo()
    {
        var ns = "pvc-" + _id;
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        await ApplyAsync(Volume("small", "1Gi", "ReadWriteOnce") + Volume("large", "5Gi", "ReadWriteOnce") + Volume("medium", "3Gi", "ReadWriteOnce")
            + Volume("labelled", "8Gi", "ReadWriteOnce", "tier: fast") + Volume("classy", "3Gi", "ReadWriteOnce", storageClass: "gold"));
        await ApplyAsync($$$"""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: data
              namespace: {{{ns}}}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 2Gi}}
              storageClassName: ""
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: fast
              namespace: {{{ns}}}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
              storageClassName: ""
              selector:
                matchLabels:
                  tier: fast
                  test: "{{{_id}}}"
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: shared
              namespace: {{{ns}}}
            spec:
              accessModes: [ReadWriteMany]
              resources: {requests: {storage: 1Gi}}
              storageClassName: ""
            """);

        await Eventually.TrueAsync(async () => await PhaseAsync("pvc", "data", ns) == "Bound" && await PhaseAsync("pvc", "fast", ns) == "Bound",
            Deadline, "the claims to be bound");
        var data = await GetAsync("pvc", "data", ns);
        var medium = await GetAsync("pv", Name("medium"));
        Assert.Equal(Name("medium"), (string?)data["spec"]!["volumeName"]);
        Assert.Equal("3Gi", (string?)data["status"]!["capacity"]!["storage"]);
        Assert.Equal("yes", (string?)data["metadata"]!["annotations"]!["pv.kubernetes.io/bind-completed"]);
        Assert.Equal((string?)data["metadata"]!["uid"], (string?)medium["spec"]!["claimRef"]!["uid"]);
        Assert.Equal(Name("labelled"), (string?)(await GetAsync("pvc", "fast", ns))["spec"]!["volumeName"]);
        await Eventually.TrueAsync(async () => await PhaseAsync("pv", Name("medium")) == "Bound", Deadline, "the volume to be bound");
        Assert.Equal("Available", await PhaseAsync("pv", Name("small")));
        Assert.Equal("Available", await PhaseAsync("pv", Name("classy")));

        // Nothing offers ReadWriteMany: the claim waits, saying why.
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=shared"))
            .Out.Contains("no persistent volumes available for this claim and no storage class is set", StringComparison.Ordinal), Deadline, "FailedBinding");
        Assert.Equal("Pending", await PhaseAsync("pvc", "shared", ns));

        // A new volume that fits is taken.
        await ApplyAsync(Volume("many", "1Gi", "ReadWriteMany"));
        await Eventually.TrueAsync(async () => await PhaseAsync("pvc", "shared", ns) == "Bound", Deadline, "the waiting claim to be bound");

        await cluster.Kubectl.SucceedAsync("delete", "pvc", "data", "-n", ns);
        await Eventually.TrueAsync(async () => await PhaseAsync("pv", Name("medium")) == "Released", Deadline, "the volume to be released");
        var table = (await cluster.Kubectl.SucceedAsync("get", "pv", Name("medium"))).Out;
        Assert.Matches($@"{Name("medium")}\s+3Gi\s+RWO\s+Retain\s+Released\s+{ns}/data\s", table);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
        await cluster.Kubectl.SucceedAsync("delete", "pv", "-l", $"test={_id}", "--wait=false");
    }

    [Fact]
    public async Task DeletingAClaimAPodUses_WaitsForThePod_AndItsBoundVolumeWaitsForTheClaim()
    {
        var ns = "protect-" + _id;
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        await ApplyAsync(Volume("kept", "1Gi", "ReadWriteOnce") + Volume("spare", "1Gi", "ReadWriteOnce") + $$$"""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: used
              namespace: {{{ns}}}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
              storageClassName: ""
              selector:
                matchLabels: {test: "{{{_id}}}"}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata:
              name: idle
              namespace: {{{ns}}}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
              storageClassName: ""
              selector:
                matchLabels: {test: "{{{_id}}}"}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: user
              namespace: {{{ns}}}
            spec:
              containers: [{name: app, image: busybox}]
              volumes: [{name: data, persistentVolumeClaim: {claimName: used}}]
            """);
        await Eventually.TrueAsync(async () => await PhaseAsync("pvc", "used", ns) == "Bound", Deadline, "the claim to be bound");
        Assert.Equal("kubernetes.io/pvc-protection", (string?)(await GetAsync("pvc", "used", ns))["metadata"]!["finalizers"]![0]);
        Assert.Equal("kubernetes.io/pv-protection", (string?)(await GetAsync("pv", Name("spare")))["metadata"]!["finalizers"]![0]);

        await Eventually.TrueAsync(async () => await PhaseAsync("pvc", "idle", ns) == "Bound", Deadline, "the idle claim to be bound");
        var kept = (string)(await GetAsync("pvc", "used", ns))["spec"]!["volumeName"]!;
        await cluster.Kubectl.SucceedAsync("delete", "pvc", "used", "idle", "-n", ns, "--wait=false");
        await cluster.Kubectl.SucceedAsync("delete", "pv", kept, "--wait=false");
        // Once the idle claim, deleted with it, has gone, the used one has been looked at too: it stays, Terminating.
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "pvc", "idle", "-n", ns)).ExitCode != 0, Deadline, "the idle claim to go");
        Assert.NotNull((await GetAsync("pvc", "used", ns))["metadata"]!["deletionTimestamp"]);
        Assert.Equal("Bound", await PhaseAsync("pv", kept));

        await cluster.Kubectl.SucceedAsync("delete", "pod", "user", "-n", ns, "--grace-period=0", "--force");
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "pvc", "used", "-n", ns)).ExitCode != 0, Deadline, "the claim to go");
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "pv", kept)).ExitCode != 0, Deadline, "the volume to go");
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
        await cluster.Kubectl.SucceedAsync("delete", "pv", "-l", $"test={_id}", "--wait=false");
    }

    public void Dispose() => _files.Dispose();

    private string Name(string volume) => $"{volume}-{_id}";

    private string Volume(string name, string size, string mode, string? label = null, string storageClass = "") => $$"""
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: {{Name(name)}}
          labels:
            test: "{{_id}}"
            {{label ?? "kind: plain"}}
        spec:
          capacity: {storage: {{size}}}
          accessModes: [{{mode}}]
          storageClassName: "{{storageClass}}"
          hostPath: {path: /tmp/{{Name(name)}}}
        ---

        """;

    private async Task ApplyAsync(string yaml)
    {
        var file = _files.File(Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, yaml);
        await cluster.Kubectl.SucceedAsync("apply", "-f", file);
    }

    private async Task<JsonNode> GetAsync(string kind, string name, string? ns = null) =>
        JsonNode.Parse((await cluster.Kubectl.SucceedAsync(ns is null ? ["get", kind, name, "-o", "json"] : ["get", kind, name, "-n", ns, "-o", "json"])).Out)!;

    private async Task<string?> PhaseAsync(string kind, string name, string? ns = null) => (string?)(await GetAsync(kind, name, ns))["status"]?["phase"];
}
