using Berth.Core.Quantities;

namespace Berth.Core.Tests;

/// <summary>Resource quantities in every notation Kubernetes accepts, and what it refuses.</summary>
public sealed class QuantityTests
{
    [Theory]
    [InlineData("500m", "0.5")]
    [InlineData("1", "1")]
    [InlineData("1.5", "1.5")]
    [InlineData("128Mi", "134217728")]
    [InlineData("1Gi", "1073741824")]
    [InlineData("2k", "2000")]
    [InlineData("1e3", "1000")]
    [InlineData("5E-1", "0.5")]
    [InlineData("100u", "0.0001")]
    [InlineData("-1Mi", "-1048576")]
    [InlineData("+3", "3")]
    public void TryParse_WhenTheNotationIsKubernetes_ThenTheValueIsInBaseUnits(string text, string expected)
    {
        Assert.True(Quantity.TryParse(text, out var quantity));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), quantity.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("1x")]
    [InlineData("1 Gi")]
    [InlineData("Gi")]
    [InlineData("1e")]
    public void TryParse_WhenItIsNotAQuantity_ThenFalse(string text) => Assert.False(Quantity.TryParse(text, out _));

    [Fact]
    public void MilliValue_RoundsUpAsUpstream() => Assert.Equal(1m, new Quantity(0.0001m).MilliValue);
}
