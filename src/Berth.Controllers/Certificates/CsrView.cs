using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Controllers.Certificates;

/// <summary>A CertificateSigningRequest as the approving and signing controllers read it.</summary>
internal sealed record CsrView(
    string Name,
    string SignerName,
    string Username,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Usages,
    long? ExpirationSeconds,
    string RequestPem,
    bool Approved,
    bool Denied,
    bool Failed,
    bool Issued)
{
    /// <summary>Decided one way or the other: nothing for an approver to do.</summary>
    public bool Decided => Approved || Denied || Failed;

    public static CsrView Read(JsonNode csr)
    {
        var spec = csr["spec"] as JsonObject ?? [];
        var conditions = (csr["status"]?["conditions"] as JsonArray ?? [])
            .Where(c => Text(c?["status"]) is "True" or "")
            .Select(c => Text(c?["type"]))
            .ToHashSet(StringComparer.Ordinal);
        string requestPem;
        try
        {
            requestPem = Encoding.ASCII.GetString(Convert.FromBase64String(Text(spec["request"])));
        }
        catch (FormatException)
        {
            requestPem = "";
        }
        return new CsrView(
            Text(csr["metadata"]?["name"]),
            Text(spec["signerName"]),
            Text(spec["username"]),
            Strings(spec["groups"]),
            Strings(spec["usages"]),
            spec["expirationSeconds"] is JsonValue e && e.TryGetValue<long>(out var seconds) ? seconds : null,
            requestPem,
            conditions.Contains("Approved"),
            conditions.Contains("Denied"),
            conditions.Contains("Failed"),
            Text(csr["status"]?["certificate"]).Length > 0);
    }

    /// <summary>The PKCS#10 request, its signature checked; null when it is not one.</summary>
    public CertificateRequest? ParseRequest()
    {
        try
        {
            return CertificateRequest.LoadSigningRequestPem(RequestPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(Text)];
}
