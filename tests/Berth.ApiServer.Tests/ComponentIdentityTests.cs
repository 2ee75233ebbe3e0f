using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// The in-process components authenticate as upstream's do: the controller manager as
/// <c>system:kube-controller-manager</c> and the scheduler as <c>system:kube-scheduler</c>, each with a client
/// certificate of its own from the cluster CA. The server records who asked for a CertificateSigningRequest, which
/// shows whom it took the holder for.
/// </summary>
public sealed class ComponentIdentityTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("controller-manager", "system:kube-controller-manager")]
    [InlineData("scheduler", "system:kube-scheduler")]
    public async Task Component_WhenItSendsARequest_ThenTheServerTakesItForItsUpstreamUser(string certificate, string user)
    {
        var tls = Path.Combine(server.DataDir, "server", "tls");
        using var credentials = X509Certificate2.CreateFromPemFile(Path.Combine(tls, certificate + ".crt"), Path.Combine(tls, certificate + ".key"));
        var handler = ClusterTls.Configure(new SocketsHttpHandler(), server.DataDir, withAdminCertificate: false);
        handler.SslOptions.ClientCertificates = [credentials];
        using var component = new HttpClient(handler) { BaseAddress = server.Url };
        var name = certificate + "-" + Guid.NewGuid().ToString("N")[..8];

        var (code, created) = await server.SendAsync(HttpMethod.Post, "/apis/certificates.k8s.io/v1/certificatesigningrequests", $$$"""
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},
             "spec":{"request":"{{{RequestFor("CN=someone")}}}","signerName":"example.com/nobody","usages":["client auth"]}}
            """, client: component);

        Assert.Equal(201, code);
        Assert.Equal(user, created!["spec"]!["username"]!.GetValue<string>());
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Delete, "/apis/certificates.k8s.io/v1/certificatesigningrequests/" + name)).Code);
    }

    private static string RequestFor(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
    }
}
