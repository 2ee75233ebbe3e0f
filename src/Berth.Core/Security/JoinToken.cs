using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Berth.Core.Security;

/// <summary>
/// The token a node presents to join a cluster, in k3s's format: <c>K10&lt;ca-hash&gt;::server:&lt;secret&gt;</c>, where
/// the CA hash is the lowercase hex SHA-256 of the cluster CA certificate (DER). The hash lets an agent that has
/// nothing but the token trust the server: it fetches the CA without verification, checks the hash, and from then on
/// verifies the server with that CA. The secret is what the server checks. A bare secret (the whole token of data
/// directories made before the hash was added) parses with no hash: the server still accepts it, an agent cannot
/// trust a server with it.
/// </summary>
public sealed record JoinToken(string? CaHash, string Secret)
{
    private const string Prefix = "K10";
    private const string Separator = "::";

    /// <summary>The user part a token names before its secret; k3s also knows <c>node</c>, which parses the same.</summary>
    private const string ServerUser = "server";

    /// <summary>
    /// A short, stable id of the token, safe to show: the first six hex digits of the SHA-256 of the secret. The
    /// holder authenticates as <c>system:bootstrap:&lt;id&gt;</c>, as an upstream bootstrap token's id names its user.
    /// </summary>
    public string Id => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Secret)))[..6];

    /// <summary>The token with <paramref name="ca"/>'s hash and a fresh random secret.</summary>
    public static JoinToken Create(X509Certificate2 ca) => new(HashOf(ca), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));

    /// <summary>The hash a token carries for <paramref name="ca"/>: lowercase hex SHA-256 of its DER encoding.</summary>
    public static string HashOf(X509Certificate2 ca) => Convert.ToHexStringLower(SHA256.HashData(ca.RawData));

    /// <summary>
    /// Reads a token: <c>K10&lt;64 hex digits&gt;::&lt;user&gt;:&lt;secret&gt;</c>, or a bare secret (letters, digits,
    /// <c>-</c>, <c>_</c>, <c>.</c>). Null when <paramref name="text"/> is neither.
    /// </summary>
    public static JoinToken? Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith(Prefix, StringComparison.Ordinal) && text.IndexOf(Separator, StringComparison.Ordinal) is var separator and > 0)
        {
            var hash = text[Prefix.Length..separator];
            var credentials = text[(separator + Separator.Length)..];
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit) || colon < 1 || !IsSecret(credentials[(colon + 1)..]))
                return null;
            return new JoinToken(hash.ToLowerInvariant(), credentials[(colon + 1)..]);
        }
        return IsSecret(text) ? new JoinToken(null, text) : null;
    }

    /// <summary>Whether <paramref name="ca"/> is the certificate this token's hash names (false for a token without one).</summary>
    public bool Matches(X509Certificate2 ca) =>
        CaHash is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CaHash), Encoding.ASCII.GetBytes(HashOf(ca)));

    /// <summary>Whether <paramref name="secret"/> is this token's secret, compared in constant time.</summary>
    public bool HasSecret(string secret) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Secret));

    /// <summary>The token as written to <c>server/token</c> and given to <c>berth agent --token</c>.</summary>
    public override string ToString() => CaHash is null ? Secret : $"{Prefix}{CaHash}{Separator}{ServerUser}:{Secret}";

    private static bool IsSecret(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
