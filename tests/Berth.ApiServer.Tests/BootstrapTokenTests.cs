using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.ApiServer.Security;
using Berth.Core.Security;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// The join token as a credential: it authenticates as <c>system:bootstrap:&lt;id&gt;</c> in <c>system:bootstrappers</c>,
/// may only create and read CertificateSigningRequests (anything else is a 403 in upstream's words, which kubectl
/// prints), and the server records the token's user as the requester of what it creates. Also the token file's
/// format and the unauthenticated <c>/cacerts</c> the agent checks the token's hash against.
/// </summary>
public sealed class BootstrapTokenTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string CsrPath = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

    private readonly TempDirectory _files = new("bootstrap");

    private JoinToken Token => JoinToken.Parse(File.ReadAllText(Path.Combine(server.DataDir, "server", "token")))!;

    private string User => "system:bootstrap:" + Token.Id;

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("get pods", "pods is forbidden: User \"USER\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"")]
    [InlineData("get nodes", "nodes is forbidden: User \"USER\" cannot list resource \"nodes\" in API group \"\" at the cluster scope")]
    [InlineData("get deployments -A", "deployments.apps is forbidden: User \"USER\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope")]
    [InlineData("get secret x -n kube-system", "secrets \"x\" is forbidden: User \"USER\" cannot get resource \"secrets\" in API group \"\" in the namespace \"kube-system\"")]
    [InlineData("get --raw /metrics", "forbidden: User \"USER\" cannot get path \"/metrics\"")]
    public async Task Kubectl_WithTheJoinToken_WhenItAsksForAnythingButCsrs_ThenItIsForbiddenInUpstreamsWords(string command, string message)
    {
        var kubectl = await KubectlWithTokenAsync(Token.ToString());

        var (code, _, error) = await kubectl.RunAsync(command.Split(' '));

        Assert.NotEqual(0, code);
        Assert.Equal($"Error from server (Forbidden): {message.Replace("USER", User, StringComparison.Ordinal)}\n", error);
    }

    [Fact]
    public async Task Kubectl_WithTheJoinToken_WhenItCreatesAndListsCsrs_ThenTheServerRecordsTheBootstrapUserAsRequester()
    {
        var kubectl = await KubectlWithTokenAsync(Token.ToString());
        var name = "bootstrap-" + Guid.NewGuid().ToString("N")[..8];
        // What the client claims about itself is replaced by what authentication established.
        var manifest = await _files.WriteAsync($$$"""
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},
             "spec":{"request":"{{{RequestFor("CN=system:node:x, O=system:nodes")}}}","signerName":"example.com/nobody","usages":["client auth"],
                     "username":"admin","groups":["system:masters"],"uid":"forged"}}
            """, ".json");

        await kubectl.SucceedAsync("create", "-f", manifest);
        var listed = await kubectl.SucceedAsync("get", "csr", name, "-o", "json");

        var spec = JsonNode.Parse(listed.Out)!["spec"]!;
        Assert.Equal(User, spec["username"]!.GetValue<string>());
        Assert.Equal(["system:bootstrappers", "system:authenticated"], spec["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Null(spec["uid"]);
        var (code, _, error) = await kubectl.RunAsync("certificate", "approve", name);
        Assert.NotEqual(0, code);
        Assert.Contains($"User \"{User}\" cannot update resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csr_WhenUpdatedOrApproved_ThenItsSpecStaysAndApprovalChangesOnlyTheConditions()
    {
        var name = "fixed-" + Guid.NewGuid().ToString("N")[..8];
        var (created, csr) = await server.SendAsync(HttpMethod.Post, CsrPath, $$$"""
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},
             "spec":{"request":"{{{RequestFor("CN=someone")}}}","signerName":"example.com/nobody","usages":["client auth"]}}
            """);
        Assert.Equal(201, created);
        Assert.Equal("admin", csr!["spec"]!["username"]!.GetValue<string>());

        var changed = csr.DeepClone();
        changed["spec"]!["username"] = "someone-else";
        changed["metadata"]!["labels"] = new JsonObject { ["changed"] = "yes" };
        var (updated, afterUpdate) = await server.SendAsync(HttpMethod.Put, $"{CsrPath}/{name}", changed.ToJsonString());
        var approval = afterUpdate!.DeepClone();
        approval["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Approved", ["status"] = "True", ["reason"] = "ByHand" }),
            ["certificate"] = Convert.ToBase64String("not from a signer"u8.ToArray()),
        };
        var (approved, afterApproval) = await server.SendAsync(HttpMethod.Put, $"{CsrPath}/{name}/approval", approval.ToJsonString());

        Assert.Equal(200, updated);
        Assert.Equal("admin", afterUpdate["spec"]!["username"]!.GetValue<string>());
        Assert.Equal("yes", afterUpdate["metadata"]!["labels"]!["changed"]!.GetValue<string>());
        Assert.Equal(200, approved);
        Assert.Equal("ByHand", afterApproval!["status"]!["conditions"]![0]!["reason"]!.GetValue<string>());
        Assert.Null(afterApproval["status"]!["certificate"]);
    }

    [Fact]
    public async Task Csr_WhenItsRequestIsNotAPkcs10Request_ThenItIsInvalid()
    {
        var (code, status) = await server.SendAsync(HttpMethod.Post, CsrPath, """
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"generateName":"bad-"},
             "spec":{"request":"bm90IGEgcmVxdWVzdA==","signerName":"example.com/nobody","usages":["client auth"],"expirationSeconds":60}}
            """);

        Assert.Equal(422, code);
        Assert.Equal(["spec.request", "spec.expirationSeconds"], status!["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("full", 201)]
    [InlineData("secret", 201)]
    [InlineData("wrong-secret", 401)]
    [InlineData("other-ca", 401)]
    public async Task BearerToken_WhenItIsTheJoinTokenOrItsSecret_ThenItAuthenticatesElse401(string form, int expected)
    {
        var token = form switch
        {
            "full" => Token.ToString(),
            "secret" => Token.Secret,
            "wrong-secret" => (Token with { Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) }).ToString(),
            _ => (Token with { CaHash = new string('0', 64) }).ToString(),
        };
        using var client = server.CreateClient(withClientCertificate: false);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var (code, _) = await server.SendAsync(HttpMethod.Post, CsrPath, $$$"""
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"generateName":"bearer-"},
             "spec":{"request":"{{{RequestFor("CN=system:node:y, O=system:nodes")}}}","signerName":"example.com/nobody","usages":["client auth"]}}
            """, client: client);

        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task CaCerts_WithoutCredentials_ThenServesTheCaWhoseHashTheTokenCarries()
    {
        using var anonymous = server.CreateClient(withClientCertificate: false);

        var pem = await anonymous.GetStringAsync(new Uri("/cacerts", UriKind.Relative));

        using var ca = X509Certificate2.CreateFromPem(pem);
        Assert.Matches("^K10[0-9a-f]{64}::server:[0-9a-f]{48}$", Token.ToString());
        Assert.True(Token.Matches(ca));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "server", "tls", "ca.crt")), pem);
    }

    [Fact]
    public void Tokens_WhenTheTokenFileHoldsABareSecret_ThenItIsRewrittenWithTheCaHashAndKeepsTheSecret()
    {
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(server.DataDir, "server", "tls", "ca.crt")));
        File.WriteAllText(_files.File("token"), "0123456789abcdef0123456789abcdef\n");

        var tokens = Tokens.LoadOrCreate(_files.Path, ca);
        var again = Tokens.LoadOrCreate(_files.Path, ca);

        Assert.Equal($"K10{JoinToken.HashOf(ca)}::server:0123456789abcdef0123456789abcdef\n", File.ReadAllText(_files.File("token")));
        Assert.Equal("0123456789abcdef0123456789abcdef", tokens.Join.Secret);
        Assert.Equal(tokens.Join, again.Join);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_files.File("token")));
    }

    /// <summary>kubectl with a kubeconfig holding only the cluster CA and <paramref name="token"/>.</summary>
    private async Task<Kubectl> KubectlWithTokenAsync(string token)
    {
        var ca = Convert.ToBase64String(await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "server", "tls", "ca.crt")));
        var kubeconfig = await _files.WriteAsync($"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: berth
              cluster:
                server: {server.Url.ToString().TrimEnd('/')}
                certificate-authority-data: {ca}
            users:
            - name: joiner
              user:
                token: {token}
            contexts:
            - name: berth
              context:
                cluster: berth
                user: joiner
                namespace: default
            current-context: berth
            """);
        return new Kubectl(kubeconfig, _files.File("kube-cache-" + Guid.NewGuid().ToString("N")[..6]));
    }

    /// <summary>A fresh PKCS#10 request for <paramref name="subject"/>, base64 of its PEM, as spec.request holds it.</summary>
    private static string RequestFor(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
    }
}
