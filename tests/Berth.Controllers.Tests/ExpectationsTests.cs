using Berth.Client.Queues;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Controllers.Tests;

/// <summary>A controller waits for its own creations and deletions to show before acting again.</summary>
public sealed class ExpectationsTests
{
    [Fact]
    public void Satisfied_WhenEveryCreationIsSeen_ThenTrue()
    {
        var expectations = new Expectations(new FakeTimeProvider());
        expectations.ExpectCreations("ns/rs", 2);

        expectations.CreationObserved("ns/rs");
        Assert.False(expectations.Satisfied("ns/rs"));
        expectations.CreationObserved("ns/rs");
        Assert.True(expectations.Satisfied("ns/rs"));
    }

    [Fact]
    public void Satisfied_WhenTheSameDeletionIsSeenTwice_ThenItCountsOnce()
    {
        var expectations = new Expectations(new FakeTimeProvider());
        expectations.ExpectDeletions("ns/rs", ["ns/a", "ns/b"]);

        expectations.DeletionObserved("ns/rs", "ns/a");
        expectations.DeletionObserved("ns/rs", "ns/a");
        Assert.False(expectations.Satisfied("ns/rs"));
        expectations.DeletionObserved("ns/rs", "ns/b");
        Assert.True(expectations.Satisfied("ns/rs"));
    }

    [Fact]
    public void Satisfied_WhenFiveMinutesPassUnmet_ThenTheExpectationLapses()
    {
        var time = new FakeTimeProvider();
        var expectations = new Expectations(time);
        expectations.ExpectCreations("ns/rs", 1);

        time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(expectations.Satisfied("ns/rs"));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(expectations.Satisfied("ns/rs"));
        Assert.True(expectations.Satisfied("ns/unknown"));
    }
}
