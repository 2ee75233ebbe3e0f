using System.Text;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.Certificates;

/// <summary>
/// Upstream's csrsigning controller for the two client signers (<see cref="ClientCertificateRules"/>): signs each
/// approved request with the cluster CA through <see cref="ICertificateSigner"/> and writes the PEM certificate to
/// <c>status.certificate</c>, valid for a year or the request's <c>spec.expirationSeconds</c> if shorter. An approved
/// request the signer's rules refuse gets the condition Failed (reason <c>SignerValidationFailure</c>, as upstream)
/// instead. Requests for other signers are left alone.
/// </summary>
public sealed partial class CsrSigningController(ApiClient client, ICertificateSigner signer, ILoggerFactory loggerFactory, TimeProvider time)
{
    /// <summary>Upstream's default <c>--cluster-signing-duration</c>.</summary>
    internal static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    private readonly ILogger _logger = loggerFactory.CreateLogger<CsrSigningController>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informer = new Informer<CsrView>(client, CsrApprovingController.Resource, e => CsrView.Read(JsonNode.Parse(e.GetRawText())!),
            loggerFactory.CreateLogger<Informer<CsrView>>());
        using var queue = new WorkQueue<string>(time);
        informer.OnChange((_, now) =>
        {
            if (now is { Approved: true, Denied: false, Failed: false, Issued: false } && IsOurs(now.SignerName))
                queue.Add(now.Name);
        });
        var running = informer.RunAsync(cancellationToken);
        await queue.RunAsync(1, ReconcileAsync, _logger, cancellationToken);
        await running;
    }

    private static bool IsOurs(string signerName) =>
        signerName is ClientCertificateRules.KubeletClientSigner or ClientCertificateRules.ClientSigner;

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        var path = CsrApprovingController.Resource.ObjectPath(null, name);
        var found = await client.GetAsync(path, cancellationToken);
        if (found.IsNotFound)
            return ReconcileResult.Done;
        found.ThrowIfFailed($"reading certificate signing request {name}");
        var csr = found.Body!.AsObject();
        var view = CsrView.Read(csr);
        if (!view.Approved || view.Denied || view.Failed || view.Issued || !IsOurs(view.SignerName))
            return ReconcileResult.Done;

        var request = view.ParseRequest();
        var problem = request is null
            ? "spec.request is not a PEM PKCS#10 certificate request with a valid signature"
            : view.SignerName == ClientCertificateRules.KubeletClientSigner
                ? ClientCertificateRules.KubeletClientProblem(request, view.Usages)
                : ClientCertificateRules.ClientProblem(view.Usages);
        JsonObject updated;
        if (problem is not null)
        {
            updated = CsrConditions.With(csr, "Failed", "SignerValidationFailure", problem, time.GetUtcNow());
            Log.Refused(_logger, name, problem);
        }
        else
        {
            var lifetime = view.ExpirationSeconds is { } seconds && TimeSpan.FromSeconds(seconds) < MaxLifetime ? TimeSpan.FromSeconds(seconds) : MaxLifetime;
            var pem = signer.SignClientCertificate(request!, ClientCertificateRules.KeyUsages(view.Usages), lifetime);
            updated = csr.DeepClone().AsObject();
            var status = updated["status"] as JsonObject ?? (JsonObject)(updated["status"] = new JsonObject());
            status["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
            Log.Signed(_logger, name, ClientCertificateRules.CommonName(request!));
        }
        (await client.PutAsync(path + "/status", updated, cancellationToken)).ThrowIfFailed($"writing the status of certificate signing request {name}");
        return ReconcileResult.Done;
    }

    private static partial class Log
    {
        [LoggerMessage(3310, LogLevel.Information, "Signed certificate signing request {Name} for {Subject}")]
        public static partial void Signed(ILogger logger, string name, string subject);

        [LoggerMessage(3311, LogLevel.Warning, "Certificate signing request {Name} was approved but cannot be signed: {Why}")]
        public static partial void Refused(ILogger logger, string name, string why);
    }
}
