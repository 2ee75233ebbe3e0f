using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;
using Berth.Scheduler.Plugins.VolumeRestrictions;

namespace Berth.Scheduler.Tests;

/// <summary>
/// VolumeRestrictions on clusters built in memory: nodes <c>n1</c> and <c>n2</c>, claims in namespace <c>default</c>
/// (<c>solo</c> ReadWriteOncePod, <c>shared</c> ReadWriteOnce) and <c>other</c> (<c>solo</c>), pods placed as the
/// cases say; each case gives the verdict of PreFilter, then of Filter on each node.
/// </summary>
public sealed class VolumeRestrictionsTests
{
    private const string OncePod = VolumeRestrictions.ReadWriteOncePodConflict;
    private const string Disk = VolumeRestrictions.DiskConflict;

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // Case, the placed pods (name@node:volumes), the incoming pod's volumes, the verdicts.
        { "no volumes: skipped", "", "[]", "Skip" },
        { "a ReadWriteOncePod claim no one uses", "web@n1:" + Claim("shared"), Claim("solo"), "Skip" },
        { "a ReadWriteOncePod claim a placed pod uses: no node", "db@n2:" + Claim("solo"), Claim("solo"), $"n1: {OncePod}|n2: {OncePod}" },
        { "the same claim name in another namespace", "db@n2@other:" + Claim("solo"), Claim("solo"), "Skip" },
        { "a ReadWriteOnce claim two pods use", "web@n1:" + Claim("shared"), Claim("shared"), "Skip" },
        { "a missing claim", "", Claim("gone"), "Unresolvable: persistentvolumeclaim \"gone\" not found" },
        { "a GCE disk both mount read-only", "a@n1:" + Gce(readOnly: true), Gce(readOnly: true), "n1: |n2: " },
        { "a GCE disk one mounts read-write", "a@n1:" + Gce(readOnly: true), Gce(readOnly: false), $"n1: {Disk}|n2: " },
        { "another GCE disk", "a@n1:" + Gce(readOnly: false), Gce(readOnly: false, name: "disk-2"), "n1: |n2: " },
        { "an EBS volume, even read-only", "a@n2:" + Volume("awsElasticBlockStore", """{"volumeID":"vol-1","readOnly":true}"""),
            Volume("awsElasticBlockStore", """{"volumeID":"vol-1","readOnly":true}"""), $"n1: |n2: {Disk}" },
        { "an iSCSI target read-write", "a@n1:" + Volume("iscsi", """{"targetPortal":"10.0.0.1","iqn":"iqn.2026-01.io.example:t1","lun":0}"""),
            Volume("iscsi", """{"targetPortal":"10.0.0.2","iqn":"iqn.2026-01.io.example:t1","lun":1}"""), $"n1: {Disk}|n2: " },
        { "an RBD image through a shared monitor", "a@n1:" + Rbd("m1", "m2"), Rbd("m2", "m3"), $"n1: {Disk}|n2: " },
        { "an RBD image of the same name on other monitors", "a@n1:" + Rbd("m1"), Rbd("m2"), "n1: |n2: " },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verdicts(string @case, string placed, string volumes, string expected)
    {
        var snapshot = Cluster(placed);
        var pod = Objects.Pod("incoming", spec: $$"""{"volumes":{{volumes}}}""");
        var verdicts = Run(new VolumeRestrictions(Claims()), new CycleState(), pod, snapshot);

        Assert.True(verdicts == expected, $"{@case}: expected {expected}, got {verdicts}");
    }

    [Fact]
    public void AWhatIfWithoutTheClaimsHolder_Fits()
    {
        var snapshot = Cluster("db@n2:" + Claim("solo"));
        var pod = Objects.Pod("incoming", spec: $$"""{"volumes":{{Claim("solo")}}}""");
        var withoutHolder = Objects.Node("n2");

        Assert.Equal("Skip", Run(new VolumeRestrictions(Claims()), new CycleState(), pod, snapshot.With(withoutHolder)));
    }

    /// <summary>PreFilter's verdict when it does not pass; else each node's Filter verdict, <c>n1: reason|n2: </c>.</summary>
    private static string Run(VolumeRestrictions plugin, CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var preFilter = plugin.PreFilter(state, pod, snapshot);
        if (preFilter.Code == StatusCode.Skip)
            return "Skip";
        if (!preFilter.IsSuccess)
            return $"{(preFilter.Code == StatusCode.UnschedulableAndUnresolvable ? "Unresolvable" : preFilter.Code.ToString())}: {string.Join(", ", preFilter.Reasons)}";
        return string.Join('|', snapshot.Nodes.Select(n =>
        {
            var status = plugin.Filter(state, pod, n);
            Assert.NotEqual(StatusCode.UnschedulableAndUnresolvable, status.Code);
            return $"{n.Name}: {string.Join(", ", status.Reasons)}";
        }));
    }

    /// <summary>Nodes n1 and n2 with the pods of <paramref name="placed"/>: <c>name@node[@namespace]:volumes</c>, separated by <c>;</c>.</summary>
    private static Snapshot Cluster(string placed)
    {
        var nodes = new[] { Objects.Node("n1"), Objects.Node("n2") };
        foreach (var entry in placed.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (where, volumes) = (entry[..entry.IndexOf(':', StringComparison.Ordinal)], entry[(entry.IndexOf(':', StringComparison.Ordinal) + 1)..]);
            var parts = where.Split('@');
            var pod = Objects.Pod(parts[0], spec: $$"""{"volumes":{{volumes}}}""", ns: parts.Length > 2 ? parts[2] : "default", placed: true);
            nodes.Single(n => n.Name == parts[1]).AddPod(pod);
        }
        return new Snapshot(nodes, new NamespaceLabels());
    }

    private static VolumeClaims Claims()
    {
        var claims = new VolumeClaims();
        foreach (var (ns, name, mode) in new[] { ("default", "solo", "ReadWriteOncePod"), ("default", "shared", "ReadWriteOnce"), ("other", "solo", "ReadWriteOncePod") })
        {
            claims.SetClaim(new JsonObject
            {
                ["metadata"] = new JsonObject { ["namespace"] = ns, ["name"] = name },
                ["spec"] = new JsonObject { ["accessModes"] = new JsonArray(mode) },
            });
        }
        return claims;
    }

    private static string Claim(string name) => $$$"""[{"name":"data","persistentVolumeClaim":{"claimName":"{{{name}}}"}}]""";

    private static string Volume(string kind, string source) => $$"""[{"name":"disk","{{kind}}":{{source}}}]""";

    private static string Gce(bool readOnly, string name = "disk-1") =>
        Volume("gcePersistentDisk", $$"""{"pdName":"{{name}}","readOnly":{{(readOnly ? "true" : "false")}}}""");

    private static string Rbd(params string[] monitors) =>
        Volume("rbd", $$"""{"monitors":[{{string.Join(',', monitors.Select(m => $"\"{m}\""))}}],"image":"data"}""");
}
