using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>
/// The approving and signing controllers against a real API server, driven by the real kubectl: a human approves a
/// client certificate request and the signer issues it; an approved request the signer's rules refuse fails; a join
/// token holder's request that breaks the kubelet rules is denied.
/// </summary>
public sealed class CsrControllersTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _files = new("csr");

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task KubectlCertificateApprove_WhenAHumanApprovesAClientRequest_ThenTheSignerIssuesACertificateThatAuthenticatesItsSubject()
    {
        var name = "jane-" + Guid.NewGuid().ToString("N")[..8];
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await CreateAsync(name, "kubernetes.io/kube-apiserver-client", Request("CN=jane, O=developers", key), ["client auth", "digital signature"], 3600);
        Assert.Matches($@"^{name}\s+\S+\s+kubernetes\.io/kube-apiserver-client\s+admin\s+60m\s+Pending$", await RowAsync(name));

        await cluster.Kubectl.SucceedAsync("certificate", "approve", name);
        await WaitForConditionAsync(name, "Approved,Issued");

        var csr = JsonNode.Parse((await cluster.Kubectl.SucceedAsync("get", "csr", name, "-o", "json")).Out)!;
        var approved = csr["status"]!["conditions"]![0]!;
        Assert.Equal("KubectlApprove", approved["reason"]!.GetValue<string>());
        using var issued = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(csr["status"]!["certificate"]!.GetValue<string>())));
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(cluster.DataDir, "server", "tls", "ca.crt")));
        Assert.Equal(ca.Subject, issued.Issuer);
        Assert.InRange(issued.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.Equal("1.3.6.1.5.5.7.3.2", Assert.Single(issued.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>()).Value);

        // The certificate works: the server takes its holder for jane.
        using var withCertificate = issued.CopyWithPrivateKey(key);
        var handler = ClusterTls.Configure(new SocketsHttpHandler(), cluster.DataDir, withAdminCertificate: false);
        handler.SslOptions.ClientCertificates = [withCertificate];
        using var jane = new HttpClient(handler) { BaseAddress = cluster.Url };
        Assert.True((await jane.GetAsync(new Uri("/api/v1/namespaces", UriKind.Relative))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Signer_WhenAnApprovedRequestAsksForUsagesItsSignerDoesNotAllow_ThenTheRequestFails()
    {
        var name = "server-" + Guid.NewGuid().ToString("N")[..8];
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await CreateAsync(name, "kubernetes.io/kube-apiserver-client", Request("CN=web", key), ["server auth", "digital signature"], null);

        await cluster.Kubectl.SucceedAsync("certificate", "approve", name);
        await WaitForConditionAsync(name, "Approved,Failed");

        var csr = JsonNode.Parse((await cluster.Kubectl.SucceedAsync("get", "csr", name, "-o", "json")).Out)!;
        var failed = csr["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Failed")!;
        Assert.Equal("SignerValidationFailure", failed["reason"]!.GetValue<string>());
        Assert.Null(csr["status"]!["certificate"]);
    }

    [Fact]
    public async Task Approver_WhenAJoinTokenHoldersRequestIsNotForANodeIdentity_ThenItIsDenied()
    {
        var token = (await File.ReadAllTextAsync(Path.Combine(cluster.DataDir, "server", "token"))).Trim();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["generateName"] = "node-csr-" },
            ["spec"] = new JsonObject
            {
                ["request"] = Request("CN=admin, O=system:masters", key),
                ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                ["usages"] = new JsonArray("digital signature", "client auth"),
            },
        };
        using var bootstrap = new HttpClient(ClusterTls.Configure(new SocketsHttpHandler(), cluster.DataDir, withAdminCertificate: false)) { BaseAddress = cluster.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/apis/certificates.k8s.io/v1/certificatesigningrequests")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await bootstrap.SendAsync(request);
        Assert.Equal(201, (int)response.StatusCode);
        var name = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]!["name"]!.GetValue<string>();

        await WaitForConditionAsync(name, "Denied");

        var csr = JsonNode.Parse((await cluster.Kubectl.SucceedAsync("get", "csr", name, "-o", "json")).Out)!;
        var denied = csr["status"]!["conditions"]![0]!;
        Assert.Equal("AutoDenied", denied["reason"]!.GetValue<string>());
        Assert.Contains("organization must be exactly system:nodes", denied["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task CreateAsync(string name, string signer, string request, string[] usages, int? expirationSeconds)
    {
        var spec = new JsonObject
        {
            ["request"] = request,
            ["signerName"] = signer,
            ["usages"] = new JsonArray([.. usages.Select(u => (JsonNode)u)]),
        };
        if (expirationSeconds is { } seconds)
            spec["expirationSeconds"] = seconds;
        var manifest = await _files.WriteAsync(new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        }.ToJsonString(), ".json");
        await cluster.Kubectl.SucceedAsync("create", "-f", manifest);
    }

    private async Task<string> RowAsync(string name) => (await cluster.Kubectl.SucceedAsync("get", "csr", name)).Out.Split('\n')[1];

    private Task WaitForConditionAsync(string name, string condition) =>
        Eventually.TrueAsync(async () => (await RowAsync(name)).EndsWith(" " + condition, StringComparison.Ordinal), Deadline, $"{name} to be {condition}");

    /// <summary>A PKCS#10 request for <paramref name="subject"/> with <paramref name="key"/>, base64 of its PEM, as spec.request holds it.</summary>
    private static string Request(string subject, ECDsa key) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem()));
}
