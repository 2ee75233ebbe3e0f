using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.VolumeZone;

namespace Berth.Scheduler.Tests;

/// <summary>
/// VolumeZone on a cluster built in memory: <c>a1</c> in zone a of region r1, <c>b1</c> in zone b of region r1,
/// <c>c1</c> in zone c of region r2, and <c>x1</c> with no zone or region; the pod mounts claim <c>data</c>, bound to
/// volume <c>pv</c> with the labels each case gives. Each case gives PreFilter's verdict, or else Filter's on each node.
/// </summary>
public sealed class VolumeZoneTests
{
    private const string Zone = "topology.kubernetes.io/zone";
    private const string Region = "topology.kubernetes.io/region";
    private const string Conflict = VolumeZone.Conflict;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "a volume in zone a", $$"""{"{{Zone}}":"a"}""", $"a1: |b1: {Conflict}|c1: {Conflict}|x1: " },
        { "a volume in zones a and c", $$"""{"{{Zone}}":"a__c"}""", $"a1: |b1: {Conflict}|c1: |x1: " },
        { "a volume in region r1", $$"""{"{{Region}}":"r1"}""", $"a1: |b1: |c1: {Conflict}|x1: " },
        { "a volume in zone b of region r1", $$"""{"{{Zone}}":"b","{{Region}}":"r1"}""", $"a1: {Conflict}|b1: |c1: {Conflict}|x1: " },
        { "a beta zone label, matched by the nodes' GA one", """{"failure-domain.beta.kubernetes.io/zone":"c"}""", $"a1: {Conflict}|b1: {Conflict}|c1: |x1: " },
        { "no zone or region labels", """{"disk":"ssd"}""", "Skip" },
        { "a zone list with an empty entry, ignored", $$"""{"{{Zone}}":"a__"}""", "Skip" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verdicts(string @case, string volumeLabels, string expected)
    {
        var claims = new VolumeClaims();
        claims.SetClaim(Claim("data", volume: "pv"));
        claims.SetVolume(Volume("pv", volumeLabels));

        var verdicts = Run(new VolumeZone(claims), Pod("data"));

        Assert.True(verdicts == expected, $"{@case}: expected {expected}, got {verdicts}");
    }

    [Fact]
    public void AClaimNotBoundYet_IsLeftToVolumeBinding()
    {
        var claims = new VolumeClaims();
        claims.SetClaim(Claim("data", volume: null));

        Assert.Equal("Skip", Run(new VolumeZone(claims), Pod("data")));
    }

    [Fact]
    public void AMissingClaimOrVolume_FitsNowhereUntilItComes()
    {
        var claims = new VolumeClaims();

        Assert.Equal("Unresolvable: persistentvolumeclaim \"data\" not found", Run(new VolumeZone(claims), Pod("data")));
        claims.SetClaim(Claim("data", volume: "pv"));
        Assert.Equal("Unresolvable: persistentvolume \"pv\" not found", Run(new VolumeZone(claims), Pod("data")));
    }

    /// <summary>PreFilter's verdict when it does not pass; else each node's Filter verdict, <c>a1: |b1: reason</c>.</summary>
    private static string Run(VolumeZone plugin, PodInfo pod)
    {
        var snapshot = new Snapshot(
        [
            Objects.Node("a1", labels: $$"""{"{{Zone}}":"a","{{Region}}":"r1"}"""),
            Objects.Node("b1", labels: $$"""{"{{Zone}}":"b","{{Region}}":"r1"}"""),
            Objects.Node("c1", labels: $$"""{"{{Zone}}":"c","{{Region}}":"r2"}"""),
            Objects.Node("x1"),
        ], new NamespaceLabels());
        var state = new CycleState();
        var preFilter = plugin.PreFilter(state, pod, snapshot);
        if (preFilter.Code == StatusCode.Skip)
            return "Skip";
        if (!preFilter.IsSuccess)
            return $"Unresolvable: {string.Join(", ", preFilter.Reasons)}";
        return string.Join('|', snapshot.Nodes.Select(n =>
        {
            var status = plugin.Filter(state, pod, n);
            Assert.True(status.IsSuccess || status.Code == StatusCode.UnschedulableAndUnresolvable);
            return $"{n.Name}: {string.Join(", ", status.Reasons)}";
        }));
    }

    private static PodInfo Pod(string claim) =>
        Objects.Pod("incoming", spec: $$$"""{"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"{{{claim}}}"}}]}""");

    private static JsonObject Claim(string name, string? volume) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = name },
        ["spec"] = new JsonObject { ["accessModes"] = new JsonArray("ReadWriteOnce"), ["volumeName"] = volume },
        ["status"] = new JsonObject { ["phase"] = volume is null ? "Pending" : "Bound" },
    };

    private static JsonObject Volume(string name, string labels) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = JsonNode.Parse(labels) },
        ["spec"] = new JsonObject(),
    };
}
