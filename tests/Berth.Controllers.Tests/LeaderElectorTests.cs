using System.Text.Json.Nodes;
using Berth.Client.Leadership;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Controllers.Tests;

/// <summary>Leader election on a Lease, with a 2 s lease and 100 ms retries.</summary>
public sealed class LeaderElectorTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly LeaderElectionTiming Fast = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(100));
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Candidates_OnlyOneLeadsAtATime_AndTheNextTakesOverWhenTheLeaderStops()
    {
        var lease = "election-" + Guid.NewGuid().ToString("N")[..8];
        var leading = new List<string>();
        var overlap = false;
        using var stopFirst = new CancellationTokenSource();
        using var stopSecond = new CancellationTokenSource();
        var first = Candidate(lease, "first");
        var second = Candidate(lease, "second");
        var running = new[] { first.RunAsync(ct => LeadAsync("first", ct), stopFirst.Token), second.RunAsync(ct => LeadAsync("second", ct), stopSecond.Token) };

        await Eventually.TrueAsync(() => Leaders().Count == 1, Deadline, "one candidate to lead");
        var leader = Leaders().Single();
        Assert.Equal(leader, await HolderAsync(lease));
        (leader == "first" ? stopFirst : stopSecond).Cancel();
        await Eventually.TrueAsync(() => Leaders().Count == 1 && Leaders().Single() != leader, Deadline, "the other candidate to take over");
        var (holder, transitions) = await HolderAndTransitionsAsync(lease);
        (leader == "first" ? stopSecond : stopFirst).Cancel();
        await Task.WhenAll(running);

        Assert.NotEqual(leader, holder);
        Assert.Equal(1, transitions);
        Assert.False(overlap, "two candidates led at once");

        List<string> Leaders()
        {
            lock (leading)
                return [.. leading];
        }

        async Task LeadAsync(string who, CancellationToken cancellationToken)
        {
            lock (leading)
            {
                overlap |= leading.Count > 0;
                leading.Add(who);
            }
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (leading)
                leading.Remove(who);
        }
    }

    [Fact]
    public async Task Candidate_WhenTheHolderStoppedRenewing_ThenTakesTheLeaseOverAfterItsDuration()
    {
        var lease = "election-" + Guid.NewGuid().ToString("N")[..8];
        var created = await cluster.ControllerClient.SendAsync(HttpMethod.Post, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject { ["name"] = lease },
            ["spec"] = new JsonObject { ["holderIdentity"] = "crashed", ["leaseDurationSeconds"] = 2, ["renewTime"] = "2026-01-01T00:00:00.000000Z" },
        }, CancellationToken.None);
        Assert.True(created.Succeeded, created.Message);
        using var stop = new CancellationTokenSource();
        var led = new TaskCompletionSource();
        var candidate = Candidate(lease, "heir");
        var started = DateTimeOffset.UtcNow;

        var running = candidate.RunAsync(async ct =>
        {
            led.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }, stop.Token);
        await led.Task.WaitAsync(Deadline);
        var waited = DateTimeOffset.UtcNow - started;
        await stop.CancelAsync();
        await running;

        // The candidate times the lease by its own clock from when it first saw it, whatever renewTime says.
        Assert.True(waited >= TimeSpan.FromSeconds(2), $"took over after {waited.TotalSeconds:F1} s");
        Assert.Equal("", await HolderAsync(lease));
    }

    private LeaderElector Candidate(string lease, string identity) =>
        new(cluster.ControllerClient, "kube-system", lease, identity, Fast, TimeProvider.System, NullLogger.Instance);

    private async Task<string> HolderAsync(string lease) => (await HolderAndTransitionsAsync(lease)).Holder;

    private async Task<(string Holder, int Transitions)> HolderAndTransitionsAsync(string lease)
    {
        var found = await cluster.ControllerClient.GetAsync($"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}", CancellationToken.None);
        Assert.True(found.Succeeded, found.Message);
        var spec = found.Body!["spec"]!;
        return (spec["holderIdentity"]?.GetValue<string>() ?? "", spec["leaseTransitions"]?.GetValue<int>() ?? 0);
    }
}
