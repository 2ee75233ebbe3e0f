namespace Berth.Storage.Tests;

public sealed class StoreLimitsTests
{
    [Theory]
    [InlineData("/registry/pods/", "/registry/pods0")]
    [InlineData("/registry/pods", "/registry/podt")]
    [InlineData("/", "0")]
    public void PrefixEnd_IsTheFirstKeyPastThePrefix(string prefix, string end) =>
        Assert.Equal(end, StoreLimits.PrefixEnd(prefix));

    [Theory]
    [InlineData("/registry/pods/default/web-0")]
    [InlineData("/registry/apiregistration.k8s.io/apiservices/v1.apps")]
    public void ValidateKey_WhenKubernetesKey_ThenAccepted(string key) => Assert.Null(StoreLimits.ValidateKey(key));

    [Fact]
    public void ValidateValue_AtAndOverTheLimit()
    {
        Assert.Null(StoreLimits.ValidateValue(new byte[StoreLimits.MaxValueBytes]));
        Assert.NotNull(StoreLimits.ValidateValue(new byte[StoreLimits.MaxValueBytes + 1]));
    }
}
