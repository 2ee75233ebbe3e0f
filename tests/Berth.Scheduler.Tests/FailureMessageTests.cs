using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Tests;

/// <summary>The FailedScheduling sentence in upstream's form.</summary>
public sealed class FailureMessageTests
{
    [Fact]
    public void Message_CountsEachReasonAndSortsThem()
    {
        var message = FailureMessage.For(5, [
            Status.Unresolvable("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            Status.Unschedulable("Insufficient cpu"),
            Status.Unresolvable("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
            Status.Unschedulable("Insufficient cpu", "Insufficient memory"),
            Status.Unresolvable("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        ]);

        Assert.Equal("0/5 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.", message);
    }

    [Fact]
    public void Message_WithNoNodes_SaysSo() => Assert.Equal("no nodes available to schedule pods", FailureMessage.For(0, []));
}
