using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Certificates;

/// <summary>
/// Upstream's csrapproving controller: follows CertificateSigningRequests and, by <see cref="KubeletClientApprover"/>'s
/// rules, approves or denies undecided kubelet client certificate requests through the <c>approval</c> subresource
/// (as <c>kubectl certificate approve</c> does), so that a node joining with the token gets its credentials unattended.
/// </summary>
public sealed partial class CsrApprovingController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
{
    internal static readonly ApiResource Resource =
        new("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<CsrApprovingController>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informer = new Informer<CsrView>(client, Resource, e => CsrView.Read(JsonNode.Parse(e.GetRawText())!), loggerFactory.CreateLogger<Informer<CsrView>>());
        using var queue = new WorkQueue<string>(time);
        informer.OnChange((_, now) =>
        {
            if (now is { Decided: false, SignerName: ClientCertificateRules.KubeletClientSigner })
                queue.Add(now.Name);
        });
        var running = informer.RunAsync(cancellationToken);
        await queue.RunAsync(1, ReconcileAsync, _logger, cancellationToken);
        await running;
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        var path = Resource.ObjectPath(null, name);
        var found = await client.GetAsync(path, cancellationToken);
        if (found.IsNotFound)
            return ReconcileResult.Done;
        found.ThrowIfFailed($"reading certificate signing request {name}");
        var csr = found.Body!.AsObject();
        var decision = KubeletClientApprover.Decide(CsrView.Read(csr));
        if (decision.Outcome == CsrApproval.Verdict.Leave)
            return ReconcileResult.Done;

        var type = decision.Outcome == CsrApproval.Verdict.Approve ? "Approved" : "Denied";
        var written = await client.PutAsync(path + "/approval", CsrConditions.With(csr, type, decision.Reason, decision.Message, time.GetUtcNow()), cancellationToken);
        written.ThrowIfFailed($"recording the decision on certificate signing request {name}");
        if (decision.Outcome == CsrApproval.Verdict.Approve)
            Log.Approved(_logger, name, CsrView.Read(csr).Username);
        else
            Log.Denied(_logger, name, CsrView.Read(csr).Username, decision.Message);
        return ReconcileResult.Done;
    }

    private static partial class Log
    {
        [LoggerMessage(3320, LogLevel.Information, "Approved certificate signing request {Name} of {User}")]
        public static partial void Approved(ILogger logger, string name, string user);

        [LoggerMessage(3321, LogLevel.Warning, "Denied certificate signing request {Name} of {User}: {Why}")]
        public static partial void Denied(ILogger logger, string name, string user, string why);
    }
}
