using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Berth.Controllers.Certificates;

namespace Berth.Controllers.Tests;

/// <summary>
/// Which certificate signing requests the approver grants, denies or leaves to a human: kubelet client certificates
/// that join-token holders ask for, or that nodes ask for themselves; nothing else.
/// </summary>
public sealed class KubeletClientApproverTests
{
    private const string NodeSubject = "CN=system:node:web-1, O=system:nodes";
    private static readonly string[] Bootstrapper = ["system:bootstrappers", "system:authenticated"];
    private static readonly string[] NodeUsages = ["digital signature", "client auth"];

    [Theory]
    [InlineData(NodeSubject, "digital signature,client auth")]
    [InlineData(NodeSubject, "digital signature,key encipherment,client auth")]
    [InlineData(NodeSubject, "client auth,digital signature")]
    public void Decide_WhenABootstrapperAsksForAKubeletClientCertificate_ThenItIsApproved(string subject, string usages)
    {
        var decision = KubeletClientApprover.Decide(Csr("system:bootstrap:abc123", Bootstrapper, Request(subject), usages.Split(',')));

        Assert.Equal(CsrApproval.Verdict.Approve, decision.Outcome);
        Assert.Equal("AutoApproved", decision.Reason);
        Assert.Equal("Auto approving kubelet client certificate after SubjectAccessReview.", decision.Message);
    }

    [Fact]
    public void Decide_WhenANodeRenewsItsOwnCertificate_ThenItIsApprovedAsSelf()
    {
        var decision = KubeletClientApprover.Decide(Csr("system:node:web-1", ["system:nodes", "system:authenticated"], Request(NodeSubject), NodeUsages));

        Assert.Equal(CsrApproval.Verdict.Approve, decision.Outcome);
        Assert.Equal("Auto approving self kubelet client certificate after SubjectAccessReview.", decision.Message);
    }

    [Theory]
    [InlineData("CN=system:node:web-1, O=devs", "digital signature,client auth", "organization must be exactly system:nodes")]
    [InlineData("CN=system:node:web-1, O=system:nodes, O=system:masters", "digital signature,client auth", "organization must be exactly system:nodes")]
    [InlineData("CN=admin, O=system:nodes", "digital signature,client auth", "common name must be system:node:<node name>, not \"admin\"")]
    [InlineData("CN=system:node:, O=system:nodes", "digital signature,client auth", "common name must be system:node:<node name>")]
    [InlineData(NodeSubject, "digital signature,client auth,server auth", "the usages must be")]
    [InlineData(NodeSubject, "client auth", "the usages must be")]
    [InlineData(NodeSubject, "digital signature,key encipherment", "the usages must be")]
    public void Decide_WhenABootstrappersRequestBreaksTheKubeletClientRules_ThenItIsDeniedSayingWhy(string subject, string usages, string why)
    {
        var decision = KubeletClientApprover.Decide(Csr("system:bootstrap:abc123", Bootstrapper, Request(subject), usages.Split(',')));

        Assert.Equal(CsrApproval.Verdict.Deny, decision.Outcome);
        Assert.Equal("AutoDenied", decision.Reason);
        Assert.Contains(why, decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_WhenTheRequestNamesHostsOrAddresses_ThenItIsDenied()
    {
        var decision = KubeletClientApprover.Decide(Csr("system:bootstrap:abc123", Bootstrapper, Request(NodeSubject, withSubjectAlternativeName: true), NodeUsages));

        Assert.Equal(CsrApproval.Verdict.Deny, decision.Outcome);
        Assert.Contains("subject alternative names", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_WhenTheRequestIsNotPkcs10_ThenItIsDenied()
    {
        var decision = KubeletClientApprover.Decide(Csr("system:bootstrap:abc123", Bootstrapper, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", NodeUsages));

        Assert.Equal(CsrApproval.Verdict.Deny, decision.Outcome);
    }

    public static TheoryData<string, string, string[], string> LeftAlone() => new()
    {
        // A person, even an administrator: a human approves with kubectl certificate approve.
        { "admin", ClientCertificateRules.KubeletClientSigner, ["system:masters", "system:authenticated"], NodeSubject },
        // A node asking for another node's certificate.
        { "system:node:web-2", ClientCertificateRules.KubeletClientSigner, ["system:nodes", "system:authenticated"], NodeSubject },
        // A user calling itself a node without being in system:nodes.
        { "system:node:web-1", ClientCertificateRules.KubeletClientSigner, ["system:authenticated"], NodeSubject },
        // Other signers are not the approver's business, whoever asks.
        { "system:bootstrap:abc123", ClientCertificateRules.ClientSigner, Bootstrapper, NodeSubject },
        { "system:bootstrap:abc123", "kubernetes.io/kubelet-serving", Bootstrapper, NodeSubject },
    };

    [Theory]
    [MemberData(nameof(LeftAlone))]
    public void Decide_WhenItIsNotAJoinOrARenewal_ThenTheRequestIsLeftToAHuman(string user, string signer, string[] groups, string subject)
    {
        var decision = KubeletClientApprover.Decide(Csr(user, groups, Request(subject), NodeUsages) with { SignerName = signer });

        Assert.Equal(CsrApproval.Verdict.Leave, decision.Outcome);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public void Decide_WhenTheRequestIsAlreadyDecided_ThenItIsLeftAlone(bool approved, bool denied, bool failed)
    {
        var decision = KubeletClientApprover.Decide(Csr("system:bootstrap:abc123", Bootstrapper, Request(NodeSubject), NodeUsages) with
        {
            Approved = approved,
            Denied = denied,
            Failed = failed,
        });

        Assert.Equal(CsrApproval.Verdict.Leave, decision.Outcome);
    }

    [Theory]
    [InlineData("client auth", null)]
    [InlineData("digital signature,key encipherment,client auth", null)]
    [InlineData("digital signature", "must be asked for with the usage \"client auth\"")]
    [InlineData("client auth,server auth", "the usage \"server auth\" is not allowed")]
    public void ClientProblem_AllowsClientAuthWithSignatureAndEnciphermentOnly(string usages, string? problem)
    {
        var found = ClientCertificateRules.ClientProblem(usages.Split(','));

        if (problem is null)
            Assert.Null(found);
        else
            Assert.Contains(problem, found, StringComparison.Ordinal);
    }

    private static CsrView Csr(string user, string[] groups, string requestPem, string[] usages) =>
        new("csr-1", ClientCertificateRules.KubeletClientSigner, user, groups, usages, null, requestPem, false, false, false, false);

    private static string Request(string subject, bool withSubjectAlternativeName = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (withSubjectAlternativeName)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("web-1.example.com");
            request.CertificateExtensions.Add(names.Build());
        }
        return request.CreateSigningRequestPem();
    }
}
