using System.Security.Cryptography.X509Certificates;

namespace Berth.Controllers.Certificates;

/// <summary>
/// What the two client-certificate signers accept, as upstream defines them: a kubelet's
/// (<c>kubernetes.io/kube-apiserver-client-kubelet</c>) must be for <c>CN=system:node:&lt;name&gt;</c> in exactly
/// <c>O=system:nodes</c>, with no subject alternative names, asking for client auth and digital signature (and key
/// encipherment, which RSA keys use); any other client (<c>kubernetes.io/kube-apiserver-client</c>) names its user and
/// groups freely but may ask only for client auth, digital signature and key encipherment.
/// </summary>
internal static class ClientCertificateRules
{
    public const string KubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string ClientSigner = "kubernetes.io/kube-apiserver-client";
    public const string NodeUserPrefix = "system:node:";
    public const string NodesGroup = "system:nodes";

    private const string ClientAuth = "client auth";
    private const string DigitalSignature = "digital signature";
    private const string KeyEncipherment = "key encipherment";

    private static readonly string[] ClientUsages = [ClientAuth, DigitalSignature, KeyEncipherment];

    /// <summary>Why <paramref name="request"/> with <paramref name="usages"/> is not a kubelet client certificate request; null when it is one.</summary>
    public static string? KubeletClientProblem(CertificateRequest request, IReadOnlyList<string> usages)
    {
        var organizations = Attributes(request.SubjectName, "2.5.4.10");
        if (organizations is not [NodesGroup])
            return $"the subject's organization must be exactly {NodesGroup}, not [{string.Join(", ", organizations)}]";
        var commonName = CommonName(request);
        if (!commonName.StartsWith(NodeUserPrefix, StringComparison.Ordinal) || commonName.Length == NodeUserPrefix.Length)
            return $"the subject's common name must be {NodeUserPrefix}<node name>, not \"{commonName}\"";
        if (HasSubjectAlternativeNames(request))
            return "subject alternative names (DNS names, IP addresses, email addresses, URIs) are not allowed";
        var distinct = usages.ToHashSet(StringComparer.Ordinal);
        if (!distinct.SetEquals([ClientAuth, DigitalSignature]) && !distinct.SetEquals(ClientUsages))
            return $"the usages must be \"{ClientAuth}\" and \"{DigitalSignature}\", and \"{KeyEncipherment}\" for an RSA key; asked: [{string.Join(", ", usages)}]";
        return null;
    }

    /// <summary>Why <paramref name="usages"/> do not suit a client certificate; null when they do.</summary>
    public static string? ClientProblem(IReadOnlyList<string> usages)
    {
        if (!usages.Contains(ClientAuth))
            return $"a client certificate must be asked for with the usage \"{ClientAuth}\"";
        if (usages.FirstOrDefault(u => !ClientUsages.Contains(u)) is { } other)
            return $"the usage \"{other}\" is not allowed for a client certificate (allowed: {string.Join(", ", ClientUsages.Select(u => $"\"{u}\""))})";
        return null;
    }

    /// <summary>The key usages a certificate signed for <paramref name="usages"/> carries.</summary>
    public static X509KeyUsageFlags KeyUsages(IReadOnlyList<string> usages) =>
        (usages.Contains(DigitalSignature) ? X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.None) |
        (usages.Contains(KeyEncipherment) ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.None);

    /// <summary>The subject's common name (the user a client certificate authenticates as), or empty.</summary>
    public static string CommonName(CertificateRequest request) => Attributes(request.SubjectName, "2.5.4.3").FirstOrDefault() ?? "";

    private static List<string> Attributes(X500DistinguishedName name, string oid) =>
        [.. name.EnumerateRelativeDistinguishedNames().Where(n => n.GetSingleElementType().Value == oid).Select(n => n.GetSingleElementValue() ?? "")];

    private static bool HasSubjectAlternativeNames(CertificateRequest request) =>
        request.CertificateExtensions.Any(e => e.Oid?.Value == "2.5.29.17");
}
