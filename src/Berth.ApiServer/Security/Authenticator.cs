using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Berth.Core.Security;

namespace Berth.ApiServer.Security;

/// <summary>
/// Establishes who sent a request: a client certificate issued by the cluster CA (CN = user, O = groups), the admin
/// bearer token, the join token (as upstream's bootstrap tokens: user <c>system:bootstrap:&lt;token id&gt;</c> in
/// <c>system:bootstrappers</c>, which <see cref="BootstrapAuthorizer"/> confines to certificate signing requests), or a
/// service-account token. Null means no valid credentials.
/// </summary>
public sealed class Authenticator(ClusterPki pki, Tokens tokens, ServiceAccountTokens serviceAccountTokens, Func<string, string, string?> serviceAccountUid)
{
    private static readonly string[] AuthenticatedGroups = ["system:authenticated"];
    private readonly byte[] _adminToken = Encoding.UTF8.GetBytes(tokens.Admin);
    private readonly UserInfo _bootstrapUser = new($"system:bootstrap:{tokens.Join.Id}", [BootstrapAuthorizer.Group, .. AuthenticatedGroups]);

    /// <summary>Verdicts on certificates already seen (chain building costs far more than a request): thumbprint → user.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UserInfo?> _verified = new(StringComparer.Ordinal);

    public UserInfo? Authenticate(X509Certificate2? clientCertificate, string? authorization)
    {
        if (clientCertificate is not null && DateTime.Now < clientCertificate.NotAfter && DateTime.Now > clientCertificate.NotBefore &&
            _verified.GetOrAdd(clientCertificate.Thumbprint, _ => FromCertificate(clientCertificate)) is { } certificateUser)
        {
            return certificateUser;
        }

        const string Bearer = "Bearer ";
        if (authorization is not null && authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[Bearer.Length..].Trim();
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _adminToken))
                return new UserInfo("admin", ["system:masters", .. AuthenticatedGroups]);
            if (IsJoinToken(token))
                return _bootstrapUser;
            // A service-account token counts only while the account it was issued for still exists.
            if (serviceAccountTokens.Validate(token) is { } account && serviceAccountUid(account.Namespace, account.Name) == account.Uid)
            {
                return new UserInfo($"system:serviceaccount:{account.Namespace}:{account.Name}",
                    ["system:serviceaccounts", $"system:serviceaccounts:{account.Namespace}", .. AuthenticatedGroups], account.Uid);
            }
        }
        return null;
    }

    /// <summary>
    /// The join token as written (<c>K10&lt;hash&gt;::server:&lt;secret&gt;</c>, whose hash must then be this CA's) or
    /// its secret alone; the secret is compared in constant time.
    /// </summary>
    private bool IsJoinToken(string bearer) =>
        JoinToken.Parse(bearer) is { } presented && (presented.CaHash is null || presented.CaHash == tokens.Join.CaHash) &&
        tokens.Join.HasSecret(presented.Secret);

    private UserInfo? FromCertificate(X509Certificate2 clientCertificate)
    {
        if (pki.IsTrustedClient(clientCertificate))
        {
            var subject = clientCertificate.SubjectName;
            var user = subject.EnumerateRelativeDistinguishedNames().FirstOrDefault(n => n.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
            var groups = subject.EnumerateRelativeDistinguishedNames()
                .Where(n => n.GetSingleElementType().Value == "2.5.4.10")
                .Select(n => n.GetSingleElementValue()!)
                .ToList();
            if (!string.IsNullOrEmpty(user))
                return new UserInfo(user, [.. groups, .. AuthenticatedGroups]);
        }
        return null;
    }
}
