using Berth.Client.Events;

namespace Berth.Controllers.Tests;

/// <summary>Which events a recorder writes, counts or drops, as upstream's event correlator decides.</summary>
public sealed class EventCorrelatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventCorrelator.ObjectKey ReplicaSet = new("apps/v1", "ReplicaSet", "ns", "web", "uid-1");
    private int _names;

    [Fact]
    public void Correlate_WhenTheSameEventRepeats_ThenItCountsOnTheFirst()
    {
        var correlator = new EventCorrelator();

        var first = Correlate(correlator, ReplicaSet, "Created pod: web-a", Start)!;
        var second = Correlate(correlator, ReplicaSet, "Created pod: web-a", Start.AddSeconds(5))!;

        Assert.False(first.IsRepeat);
        Assert.True(second.IsRepeat);
        Assert.Equal(first.Name, second.Name);
        Assert.Equal(2, second.Count);
        Assert.Equal(Start, second.FirstTimestamp);
        Assert.Equal("Created pod: web-a", second.Message);
    }

    [Fact]
    public void Correlate_WhenTheTenthSimilarMessageComes_ThenItAndTheLaterOnesCombine()
    {
        var correlator = new EventCorrelator();
        var separate = Enumerable.Range(1, 9).Select(i => Correlate(correlator, ReplicaSet, $"Created pod: web-{i}", Start)!).ToList();

        var tenth = Correlate(correlator, ReplicaSet, "Created pod: web-10", Start)!;
        var eleventh = Correlate(correlator, ReplicaSet, "Created pod: web-11", Start)!;

        Assert.All(separate, e => Assert.False(e.IsRepeat));
        Assert.Equal(9, separate.Select(e => e.Name).Distinct().Count());
        Assert.False(tenth.IsRepeat);
        Assert.Equal("(combined from similar events): Created pod: web-10", tenth.Message);
        Assert.DoesNotContain(tenth.Name, separate.Select(e => e.Name));
        Assert.True(eleventh.IsRepeat);
        Assert.Equal(tenth.Name, eleventh.Name);
        Assert.Equal(2, eleventh.Count);
        Assert.Equal("(combined from similar events): Created pod: web-11", eleventh.Message);
    }

    [Fact]
    public void Correlate_WhenSimilarMessagesAreMoreThanTenMinutesApart_ThenTheyDoNotCombine()
    {
        var correlator = new EventCorrelator();
        for (var i = 1; i <= 9; i++)
            Correlate(correlator, ReplicaSet, $"Created pod: web-{i}", Start);

        var later = Correlate(correlator, ReplicaSet, "Created pod: web-10", Start.AddMinutes(11))!;

        Assert.Equal("Created pod: web-10", later.Message);
    }

    [Fact]
    public void Correlate_WhenAnObjectHasHad25Events_ThenMoreAreDroppedUntilTheBudgetRefills()
    {
        var correlator = new EventCorrelator();
        var written = Enumerable.Range(1, 25).Select(i => Correlate(correlator, ReplicaSet, $"Created pod: web-{i}", Start)).ToList();

        var dropped = Correlate(correlator, ReplicaSet, "Created pod: web-26", Start.AddSeconds(299));
        var another = Correlate(correlator, new("apps/v1", "ReplicaSet", "ns", "api", "uid-2"), "Created pod: api-1", Start.AddSeconds(299));
        var refilled = Correlate(correlator, ReplicaSet, "Created pod: web-27", Start.AddSeconds(301))!;

        Assert.All(written, Assert.NotNull);
        Assert.Null(dropped);
        Assert.NotNull(another);
        // The combined event carries the dropped occurrence in its count: 16 written (web-10 to web-25), 1 dropped, this one.
        Assert.True(refilled.IsRepeat);
        Assert.Equal(18, refilled.Count);
    }

    private EventCorrelator.Correlated? Correlate(EventCorrelator correlator, EventCorrelator.ObjectKey involved, string message, DateTimeOffset at) =>
        correlator.Correlate(involved, "", "Normal", "SuccessfulCreate", message, at, $"event-{++_names}");
}
