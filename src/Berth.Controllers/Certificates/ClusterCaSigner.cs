using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Berth.Controllers.Certificates;

/// <summary>
/// The cluster CA as a signer: <paramref name="authority"/> must carry its private key. Certificates are backdated
/// five minutes (for clocks a little behind) and never outlive the CA.
/// </summary>
public sealed class ClusterCaSigner(X509Certificate2 authority, TimeProvider time) : ICertificateSigner
{
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public string SignClientCertificate(CertificateRequest request, X509KeyUsageFlags keyUsages, TimeSpan lifetime)
    {
        var template = new CertificateRequest(request.SubjectName, request.PublicKey, HashAlgorithmName.SHA256);
        template.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        template.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsages, true));
        template.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        template.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = time.GetUtcNow();
        var notAfter = now + lifetime < authority.NotAfter.ToUniversalTime() ? now + lifetime : new DateTimeOffset(authority.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = template.Create(authority, now - Backdate, notAfter, serial);
        return issued.ExportCertificatePem() + "\n";
    }
}
