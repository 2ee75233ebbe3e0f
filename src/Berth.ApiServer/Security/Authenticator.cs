using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Berth.ApiServer.Security;

/// <summary>
/// Establishes who sent a request: a client certificate issued by the cluster CA (CN = user, O = groups), the admin
/// bearer token, or a service-account token. Null means no valid credentials.
/// </summary>
public sealed class Authenticator(ClusterPki pki, Tokens tokens, ServiceAccountTokens serviceAccountTokens, Func<string, string, string?> serviceAccountUid)
{
    private static readonly string[] AuthenticatedGroups = ["system:authenticated"];
    private readonly byte[] _adminToken = Encoding.UTF8.GetBytes(tokens.Admin);

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
            // A service-account token counts only while the account it was issued for still exists.
            if (serviceAccountTokens.Validate(token) is { } account && serviceAccountUid(account.Namespace, account.Name) == account.Uid)
            {
                return new UserInfo($"system:serviceaccount:{account.Namespace}:{account.Name}",
                    ["system:serviceaccounts", $"system:serviceaccounts:{account.Namespace}", .. AuthenticatedGroups]);
            }
        }
        return null;
    }

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
