using Berth.Controllers.ReplicaSets;

namespace Berth.Controllers.Tests;

/// <summary>Which pods a ReplicaSet scaling down deletes first, rule by rule as upstream ranks them.</summary>
public sealed class DeletionOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, (ReplicaPod First, ReplicaPod Second)> Cases = new()
    {
        ["not on a node before on one"] = (Pod("a", node: ""), Pod("b")),
        ["pending before running"] = (Pod("a", phase: "Pending"), Pod("b")),
        ["unknown before running"] = (Pod("a", phase: "Unknown"), Pod("b")),
        ["not ready before ready"] = (Pod("a", notReady: true), Pod("b")),
        ["a lower deletion cost"] = (Pod("a", node: "quiet", cost: -5), Pod("b", node: "crowded")),
        ["with more siblings on its node"] = (Pod("a", node: "crowded"), Pod("b", node: "quiet")),
        ["ready for a shorter time"] = (Pod("a", ready: T0.AddMinutes(5)), Pod("b", ready: T0.AddMinutes(1))),
        ["restarted more often"] = (Pod("a", restarts: 3), Pod("b", restarts: 1)),
        ["created later"] = (Pod("a", created: T0.AddMinutes(2)), Pod("b", created: T0)),
    };

    public static TheoryData<string> Rules => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Rules))]
    public void Compare_RanksTheFirstPodForDeletionBeforeTheSecond(string rule)
    {
        var (first, second) = Cases[rule];
        var order = new DeletionOrder(new Dictionary<string, int> { ["crowded"] = 3, ["quiet"] = 1, ["n1"] = 1 });

        Assert.True(order.Compare(first, second) < 0, rule);
        Assert.True(order.Compare(second, first) > 0, rule);
    }

    /// <summary>A running pod on n1, ready since T0, created at T0, unless told otherwise.</summary>
    private static ReplicaPod Pod(string name, string node = "n1", string phase = "Running", DateTimeOffset? ready = null, bool notReady = false,
        int restarts = 0, DateTimeOffset? created = null, int cost = 0) =>
        new("ns", name, name, new Dictionary<string, string>(), "ReplicaSet", "rs", "uid", false, phase, node,
            notReady ? null : ready ?? T0, restarts, created ?? T0, cost);
}
