using System.Security.Cryptography.X509Certificates;

namespace Berth.Testing;

/// <summary>
/// Client-side TLS for a Berth server made from its data directory (<c>server/tls</c>): trust in the cluster CA
/// only, and optionally the admin's client certificate.
/// </summary>
public static class ClusterTls
{
    public static SocketsHttpHandler Configure(SocketsHttpHandler handler, string dataDir, bool withAdminCertificate)
    {
        var tls = Path.Combine(dataDir, "server", "tls");
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(tls, "ca.crt")));
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 c && chain.Build(c);
        };
        if (withAdminCertificate)
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key"))];
        return handler;
    }
}
