namespace Berth.Controllers.Certificates;

/// <summary>What the approver does with a request: leave it (to a human, or to nobody), approve it, or deny it.</summary>
internal readonly record struct CsrApproval(CsrApproval.Verdict Outcome, string Reason, string Message)
{
    public enum Verdict
    {
        Leave,
        Approve,
        Deny,
    }

    public static CsrApproval Leave => default;

    public static CsrApproval Approve(string message) => new(Verdict.Approve, "AutoApproved", message);

    public static CsrApproval Deny(string message) => new(Verdict.Deny, "AutoDenied", message);
}
