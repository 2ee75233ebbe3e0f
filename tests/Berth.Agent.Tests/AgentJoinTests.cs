using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Core.Security;
using Berth.Testing;

namespace Berth.Agent.Tests;

/// <summary>
/// <c>berth agent --server --token</c> as a separate process joining a <c>berth server</c> process: the node gets
/// credentials of its own through an auto-approved CSR and becomes Ready; a wrong token or a token for another CA is
/// refused with a clear message, and no node appears.
/// </summary>
public sealed class AgentJoinTests(JoinClusterFixture cluster) : IClassFixture<JoinClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Agent_WhenItJoinsWithTheToken_ThenItsNodeIsReadyAndAuthenticatesAsSystemNodeThroughAnApprovedCsr()
    {
        var node = "join-" + Guid.NewGuid().ToString("N")[..8];
        using var dataDir = new TempDirectory("agent");
        var token = cluster.Server.ReadJoinToken();
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, token, node, dataDir.Path);

        await WaitForReadyAsync(node, agent);

        // The request: sent with the token (requester system:bootstrap:<id>), approved automatically, issued.
        var csr = Assert.Single(await CsrsForAsync(node));
        var name = csr["metadata"]!["name"]!.GetValue<string>();
        Assert.StartsWith("node-csr-", name, StringComparison.Ordinal);
        var bootstrapUser = "system:bootstrap:" + JoinToken.Parse(token)!.Id;
        Assert.Equal(bootstrapUser, csr["spec"]!["username"]!.GetValue<string>());
        Assert.Equal(["system:bootstrappers", "system:authenticated"], csr["spec"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        var approved = csr["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Approved")!;
        Assert.Equal("AutoApproved", approved["reason"]!.GetValue<string>());
        Assert.Equal("Auto approving kubelet client certificate after SubjectAccessReview.", approved["message"]!.GetValue<string>());
        var row = (await cluster.Kubectl.SucceedAsync("get", "csr", name)).Out.Split('\n')[1];
        Assert.Matches($@"^{name}\s+\S+\s+kubernetes\.io/kube-apiserver-client-kubelet\s+{bootstrapUser}\s+<none>\s+Approved,Issued$", row);

        // The node's own credentials: a client certificate for system:node:<name> in system:nodes from the cluster CA,
        // and a kubeconfig with them that works; the admin kubeconfig is nowhere in the agent's directory.
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(dataDir.Path, "agent", "client.crt")));
        using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(cluster.Server.DataDir, "server", "tls", "ca.crt")));
        Assert.Equal([("2.5.4.10", "system:nodes"), ("2.5.4.3", $"system:node:{node}")],
            certificate.SubjectName.EnumerateRelativeDistinguishedNames().Select(n => (n.GetSingleElementType().Value, n.GetSingleElementValue())));
        Assert.Equal(ca.Subject, certificate.Issuer);
        Assert.Equal(
            Convert.FromBase64String(csr["status"]!["certificate"]!.GetValue<string>()),
            Encoding.ASCII.GetBytes(await File.ReadAllTextAsync(Path.Combine(dataDir.Path, "agent", "client.crt"))));
        var asNode = new Kubectl(Path.Combine(dataDir.Path, "agent", "kubeconfig.yaml"), dataDir.File("kube-cache"));
        Assert.Contains(node, (await asNode.SucceedAsync("get", "node", node)).Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dataDir.Path, "kubeconfig.yaml")));

        // The process replaced itself to run with a young generation of a few megabytes (AgentYoungGeneration).
        Assert.Contains("DOTNET_GCgen0size=200000", agent.Environment());
        Assert.Contains("DOTNET_GCgen0MaxBudget=400000", agent.Environment());
        Assert.Contains("DOTNET_GCRegionSize=100000", agent.Environment());
    }

    [Fact]
    public async Task Agent_WhenRestarted_ThenItReusesItsCredentialsWithoutAnotherCsr()
    {
        var node = "rejoin-" + Guid.NewGuid().ToString("N")[..8];
        using var dataDir = new TempDirectory("agent");
        var token = cluster.Server.ReadJoinToken();
        await using (var first = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, token, node, dataDir.Path))
        {
            await WaitForReadyAsync(node, first);
            // The agent registers its node (Ready) before it creates its lease.
            await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "lease", node, "-n", "kube-node-lease")).ExitCode == 0,
                Deadline, $"{node}'s lease");
            await first.StopAsync(Deadline);
        }
        var lease = await cluster.GetAsync("get", "lease", node, "-n", "kube-node-lease");

        await using var second = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, token, node, dataDir.Path);
        await Eventually.TrueAsync(async () => RenewTime(await cluster.GetAsync("get", "lease", node, "-n", "kube-node-lease")) != RenewTime(lease),
            Deadline, $"the restarted agent to renew {node}'s lease; it printed:\n{second.Output}");

        Assert.Single(await CsrsForAsync(node));
        Assert.DoesNotContain("certificate signing request", second.Output, StringComparison.Ordinal);
        Assert.Contains($"running node {node}", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_WhenTheTokenIsWrong_ThenItExitsNonZeroSayingSoAndNoNodeAppears()
    {
        var node = "wrong-" + Guid.NewGuid().ToString("N")[..8];
        using var dataDir = new TempDirectory("agent");
        var real = cluster.Server.ReadJoinToken();
        var wrong = real[..(real.IndexOf("::server:", StringComparison.Ordinal) + "::server:".Length)] + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, wrong, node, dataDir.Path);

        var exitCode = await agent.WaitForExitAsync(Deadline);

        Assert.NotEqual(0, exitCode);
        Assert.Equal(
            "berth agent: the server refused the join token (401 Unauthorized); use the token in <data-dir>/server/token on the server",
            agent.Output.Trim());
        var get = await cluster.Kubectl.RunAsync("get", "node", node);
        Assert.Equal($"Error from server (NotFound): nodes \"{node}\" not found\n", get.Err);
        Assert.False(Directory.Exists(Path.Combine(dataDir.Path, "agent")));
    }

    [Fact]
    public async Task Agent_WhenTheTokenNamesAnotherCa_ThenItRefusesToTrustTheServer()
    {
        var node = "otherca-" + Guid.NewGuid().ToString("N")[..8];
        using var dataDir = new TempDirectory("agent");
        var real = JoinToken.Parse(cluster.Server.ReadJoinToken())!;
        var otherCa = real with { CaHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes("another cluster"))) };
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, otherCa.ToString(), node, dataDir.Path);

        var exitCode = await agent.WaitForExitAsync(Deadline);

        Assert.NotEqual(0, exitCode);
        Assert.StartsWith($"berth agent: the server's CA certificate (sha256 {real.CaHash}) is not the one the token names (sha256 {otherCa.CaHash})",
            agent.Output.Trim(), StringComparison.Ordinal);
        Assert.Empty(await CsrsForAsync(node));
    }

    [Theory]
    [InlineData("not a token!", "berth agent: that is not a join token; use the token in <data-dir>/server/token on the server")]
    [InlineData("0123456789abcdef", "berth agent: the token carries no CA hash (K10<hash>::server:<secret>), so the server cannot be verified; use the full token in <data-dir>/server/token on the server")]
    public async Task Agent_WhenTheTokenCannotVerifyTheServer_ThenItStopsBeforeConnecting(string token, string message)
    {
        using var dataDir = new TempDirectory("agent");
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, token, "never", dataDir.Path);

        Assert.Equal(2, await agent.WaitForExitAsync(Deadline));
        Assert.Equal(message, agent.Output.Trim());
    }

    [Fact]
    public async Task Agent_WithAnUnknownRuntimeEndpointOrImageCollection_SaysWhatItTakesAndDoesNotStart()
    {
        using var dataDir = new TempDirectory("agent");
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, cluster.Server.ReadJoinToken(), "never", dataDir.Path,
            "--runtime", "docker", "--container-runtime-endpoint", "/run/containerd.sock", "--image-gc-high-threshold", "70", "--image-gc-low-threshold", "90",
            "--eviction-hard", "nodefs.inodesFree<5%");

        Assert.NotEqual(0, await agent.WaitForExitAsync(Deadline));
        Assert.Contains("--runtime must be cri or simulated, not \"docker\"", agent.Output, StringComparison.Ordinal);
        Assert.Contains("--container-runtime-endpoint must be unix:///path/to/socket, not \"/run/containerd.sock\"", agent.Output, StringComparison.Ordinal);
        Assert.Contains("--image-gc-low-threshold (90) must be less than --image-gc-high-threshold (70)", agent.Output, StringComparison.Ordinal);
        Assert.Contains("--eviction-hard: unsupported eviction signal \"nodefs.inodesFree\"", agent.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dataDir.Path, "agent")));
    }

    [Fact]
    public async Task Agent_WithADurationNotInGoForm_SaysWhatItTakesAndDoesNotStart()
    {
        using var dataDir = new TempDirectory("agent");
        await using var agent = BerthAgentProcess.Start(JoinClusterFixture.Binary, cluster.Server.Url, cluster.Server.ReadJoinToken(), "never", dataDir.Path,
            "--minimum-image-ttl-duration", "2 minutes");

        Assert.NotEqual(0, await agent.WaitForExitAsync(Deadline));
        Assert.Contains("invalid duration \"2 minutes\" for --minimum-image-ttl-duration: use a form like 2m0s, 90s or 500ms", agent.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dataDir.Path, "agent")));
    }

    private async Task WaitForReadyAsync(string node, BerthAgentProcess agent) =>
        await Eventually.TrueAsync(async () =>
        {
            if (agent.HasExited)
                throw new InvalidOperationException($"berth agent exited; it printed:\n{agent.Output}");
            var ready = await cluster.Kubectl.RunAsync("get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}");
            return ready is { ExitCode: 0, Out: "True" };
        }, Deadline, $"node {node} to be Ready");

    /// <summary>The CSRs whose PKCS#10 request is for <c>system:node:&lt;node&gt;</c>.</summary>
    private async Task<List<JsonNode>> CsrsForAsync(string node)
    {
        var list = await cluster.GetAsync("get", "csr");
        return [.. list["items"]!.AsArray().OfType<JsonNode>().Where(csr =>
        {
            var pem = Encoding.ASCII.GetString(Convert.FromBase64String(csr["spec"]!["request"]!.GetValue<string>()));
            var request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
            return request.SubjectName.EnumerateRelativeDistinguishedNames().Any(n => n.GetSingleElementValue() == "system:node:" + node);
        })];
    }

    private static string RenewTime(JsonNode lease) => lease["spec"]!["renewTime"]!.GetValue<string>();
}
