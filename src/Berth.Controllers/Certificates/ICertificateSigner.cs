using System.Security.Cryptography.X509Certificates;

namespace Berth.Controllers.Certificates;

/// <summary>
/// Signs client certificates with the cluster CA for the CSR signing controller. A seam, so that the controller can
/// run (and be tested) without the CA's key at hand; in <c>berth server</c> it is a <see cref="ClusterCaSigner"/> over
/// the key the API server keeps in <c>server/tls</c>, so signing happens in the server process, as upstream's
/// kube-controller-manager signs with the cluster signing key.
/// </summary>
public interface ICertificateSigner
{
    /// <summary>
    /// A PEM client-authentication certificate for the subject and public key of <paramref name="request"/> (nothing
    /// else of the request is copied), with <paramref name="keyUsages"/>, valid for <paramref name="lifetime"/> at most.
    /// </summary>
    string SignClientCertificate(CertificateRequest request, X509KeyUsageFlags keyUsages, TimeSpan lifetime);
}
