using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Berth.Core.Security;

namespace Berth.Core.Tests;

/// <summary>The join token's format: k3s's <c>K10&lt;CA hash&gt;::server:&lt;secret&gt;</c>, or a bare secret from older data directories.</summary>
public sealed class JoinTokenTests
{
    private const string Hash = "f19a7f2ef95777489928696d1bd3869c09900684f254003113a59d50d4e21c4f";

    [Theory]
    [InlineData("K10" + Hash + "::server:8b90a5eb175a", Hash, "8b90a5eb175a")]
    [InlineData("  K10" + Hash + "::node:s3cr3t\n", Hash, "s3cr3t")]
    [InlineData("K10" + "F19A7F2EF95777489928696D1BD3869C09900684F254003113A59D50D4E21C4F" + "::server:x", Hash, "x")]
    [InlineData("8b90a5eb175a292a\n", null, "8b90a5eb175a292a")]
    public void Parse_ReadsTheCaHashAndTheSecret(string text, string? hash, string secret)
    {
        var token = JoinToken.Parse(text);

        Assert.NotNull(token);
        Assert.Equal(hash, token.CaHash);
        Assert.Equal(secret, token.Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("K10abc::server:secret")]
    [InlineData("K10" + Hash + "::server:")]
    [InlineData("K10" + Hash + "::secret")]
    [InlineData("not a token")]
    [InlineData("K10" + Hash + "::server:sec ret")]
    public void Parse_WhenTheTextIsNotAToken_ThenNull(string text) => Assert.Null(JoinToken.Parse(text));

    [Fact]
    public void Create_WritesTheHashOfTheCaAndAFreshSecret_AndReadsBackTheSame()
    {
        using var ca = SelfSigned();

        var token = JoinToken.Create(ca);

        Assert.Matches("^K10[0-9a-f]{64}::server:[0-9a-f]{48}$", token.ToString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ca.RawData)), token.CaHash);
        Assert.Equal(token, JoinToken.Parse(token.ToString()));
        Assert.True(token.Matches(ca));
        using var other = SelfSigned();
        Assert.False(token.Matches(other));
        Assert.NotEqual(token.Secret, JoinToken.Create(ca).Secret);
    }

    [Fact]
    public void Id_IsShortStableAndDoesNotRevealTheSecret()
    {
        var token = new JoinToken(Hash, "8b90a5eb175a292a56ebf3d5d42736ddf4302a73b5b25d2f");

        Assert.Matches("^[0-9a-f]{6}$", token.Id);
        Assert.Equal(token.Id, (token with { CaHash = null }).Id);
        Assert.DoesNotContain(token.Id, token.Secret, StringComparison.Ordinal);
        Assert.True(token.HasSecret("8b90a5eb175a292a56ebf3d5d42736ddf4302a73b5b25d2f"));
        Assert.False(token.HasSecret("8b90a5eb175a292a56ebf3d5d42736ddf4302a73b5b25d2e"));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
    }
}
