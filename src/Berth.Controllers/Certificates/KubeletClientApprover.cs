namespace Berth.Controllers.Certificates;

/// <summary>
/// The approval rules of upstream's csrapproving controller, with Berth's fixed policy in place of its
/// SubjectAccessReviews (there is no RBAC yet): a kubelet client certificate request
/// (<see cref="ClientCertificateRules.KubeletClientSigner"/>) is approved when a join-token holder
/// (<c>system:bootstrappers</c>) asks for it, or a node asks to renew its own (requester <c>system:node:&lt;name&gt;</c>
/// in <c>system:nodes</c>, the same name in the request). When the request breaks the rules for kubelet client
/// certificates, those two are denied, with the reason; anyone else's request, and every other signer's, is left to a
/// human (<c>kubectl certificate approve</c>).
/// </summary>
internal static class KubeletClientApprover
{
    public const string BootstrappersGroup = "system:bootstrappers";

    public const string ApprovedMessage = "Auto approving kubelet client certificate after SubjectAccessReview.";
    public const string SelfApprovedMessage = "Auto approving self kubelet client certificate after SubjectAccessReview.";

    public static CsrApproval Decide(CsrView csr)
    {
        if (csr.SignerName != ClientCertificateRules.KubeletClientSigner || csr.Decided)
            return CsrApproval.Leave;
        var bootstrapper = csr.Groups.Contains(BootstrappersGroup);
        var node = csr.Username.StartsWith(ClientCertificateRules.NodeUserPrefix, StringComparison.Ordinal) && csr.Groups.Contains(ClientCertificateRules.NodesGroup);
        if (!bootstrapper && !node)
            return CsrApproval.Leave;

        if (csr.ParseRequest() is not { } request)
            return CsrApproval.Deny("Auto denying kubelet client certificate: spec.request is not a PEM PKCS#10 certificate request with a valid signature.");
        if (ClientCertificateRules.KubeletClientProblem(request, csr.Usages) is { } problem)
            return CsrApproval.Deny($"Auto denying kubelet client certificate: {problem}.");
        if (node && ClientCertificateRules.CommonName(request) == csr.Username)
            return CsrApproval.Approve(SelfApprovedMessage);
        if (bootstrapper)
            return CsrApproval.Approve(ApprovedMessage);
        // A node asking for another node's certificate: not for an automaton to grant.
        return CsrApproval.Leave;
    }
}
