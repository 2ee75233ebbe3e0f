using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Core.Security;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Credentials;

/// <summary>
/// How a node with nothing but the server's URL and the join token gets credentials of its own (upstream's kubelet
/// TLS bootstrap, with k3s's way of trusting the server):
/// <list type="number">
/// <item>fetch the cluster CA from <c>/cacerts</c> without verifying the server, and accept it only if its hash is the
/// one in the token (and the server's certificate chains to it); from then on the server is verified with it;</item>
/// <item>make a P-256 key and a PKCS#10 request for <c>CN=system:node:&lt;name&gt;</c>, <c>O=system:nodes</c>;</item>
/// <item>create a CertificateSigningRequest (signer <c>kubernetes.io/kube-apiserver-client-kubelet</c>) with the token
/// as bearer token, which the server's approver approves and its signer signs;</item>
/// <item>wait, watching that one request, until the certificate is there, or the request is denied or failed.</item>
/// </list>
/// The admin kubeconfig plays no part.
/// </summary>
public sealed partial class TlsBootstrap(Uri server, JoinToken token, string nodeName, ILogger logger)
{
    public const string KubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
    private const string CsrPath = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

    /// <summary>Joins and returns the node's credentials; throws <see cref="JoinException"/> when that cannot work, saying why.</summary>
    public async Task<NodeCredentials> JoinAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var authority = await FetchAuthorityAsync(cancellationToken);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddCommonName("system:node:" + nodeName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);

        using var client = ApiClient.Create(server, authority, token.ToString());
        var name = await CreateRequestAsync(client, request.CreateSigningRequestPem(), cancellationToken);
        Log.Requested(logger, name, nodeName);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string certificatePem;
        try
        {
            certificatePem = await WaitForCertificateAsync(client, name, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new JoinException($"no certificate was issued for certificate signing request {name} within {timeout.TotalMinutes:0.#} min: " +
                "are the server's controllers running? (`kubectl certificate approve` approves it by hand)");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or FormatException)
        {
            throw new JoinException($"lost track of certificate signing request {name} on {server}: {e.Message}");
        }

        using var issued = X509Certificate2.CreateFromPem(certificatePem);
        if (!issued.PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(request.PublicKey.EncodedKeyValue.RawData) || !NodeCredentials.IssuedBy(issued, authority))
            throw new JoinException($"the certificate issued for {name} is not for this node's key or not from the cluster CA");
        return new NodeCredentials(server, nodeName, authority, issued.CopyWithPrivateKey(key));
    }

    /// <summary>The cluster CA, fetched unverified and accepted only by the token's hash.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359",
        Justification = "Nothing is trusted from this connection until the CA it serves matches the hash in the token and the server's certificate chains to it.")]
    private async Task<X509Certificate2> FetchAuthorityAsync(CancellationToken cancellationToken)
    {
        byte[]? presented = null;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            presented = certificate?.GetRawCertData();
            return true;
        };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        string pem;
        try
        {
            using var response = await http.GetAsync(new Uri("/cacerts", UriKind.Relative), cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new JoinException($"{server} did not serve its CA certificate at /cacerts ({(int)response.StatusCode}); is it a Berth server?");
            pem = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new JoinException($"cannot reach the server at {server}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new JoinException($"the server at {server} did not answer within 30 s");
        }

        X509Certificate2 authority;
        try
        {
            authority = X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            throw new JoinException($"{server} served no certificate at /cacerts; is it a Berth server?");
        }
        if (!token.Matches(authority))
        {
            throw new JoinException($"the server's CA certificate (sha256 {JoinToken.HashOf(authority)}) is not the one the token names " +
                $"(sha256 {token.CaHash}); the token is for another cluster, or something between here and {server.Authority} is not the server");
        }
        using var serving = presented is null ? null : X509CertificateLoader.LoadCertificate(presented);
        if (serving is null || !NodeCredentials.IssuedBy(serving, authority))
            throw new JoinException($"the TLS certificate of {server.Authority} is not issued by the cluster CA the token names");
        return authority;
    }

    /// <summary>Creates the request (named node-csr-…); returns its name.</summary>
    private async Task<string> CreateRequestAsync(ApiClient client, string requestPem, CancellationToken cancellationToken)
    {
        var csr = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["generateName"] = "node-csr-" },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(requestPem)),
                ["signerName"] = KubeletClientSigner,
                ["usages"] = new JsonArray("digital signature", "client auth"),
            },
        };
        ApiResult created;
        try
        {
            created = await client.SendAsync(HttpMethod.Post, CsrPath, csr, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new JoinException($"cannot send a certificate signing request to {server}: {e.Message}");
        }
        return created.Code switch
        {
            >= 200 and < 300 => created.Body!["metadata"]!["name"]!.GetValue<string>(),
            (int)HttpStatusCode.Unauthorized =>
                throw new JoinException("the server refused the join token (401 Unauthorized); use the token in <data-dir>/server/token on the server"),
            (int)HttpStatusCode.Forbidden =>
                throw new JoinException($"the server does not let the join token create certificate signing requests (403 Forbidden): {created.Message}"),
            _ => throw new JoinException($"the server did not accept the certificate signing request ({created.Code}): {created.Message}"),
        };
    }

    /// <summary>Reads the request, then watches it until it carries a certificate (returned, as PEM) or is denied or failed.</summary>
    private static async Task<string> WaitForCertificateAsync(ApiClient client, string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            var current = await client.GetAsync($"{CsrPath}/{name}", cancellationToken);
            current.ThrowIfFailed($"reading certificate signing request {name}");
            if (Outcome(name, current.Body!) is { } pem)
                return pem;
            var resourceVersion = current.Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
            var watch = string.Create(CultureInfo.InvariantCulture,
                $"{CsrPath}?watch=1&timeoutSeconds=60&fieldSelector={Uri.EscapeDataString("metadata.name=" + name)}&resourceVersion={resourceVersion}");
            using var response = await client.StreamAsync(watch, cancellationToken);
            if (!response.IsSuccessStatusCode)
                continue;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                    continue;
                JsonNode? watchEvent;
                try
                {
                    watchEvent = JsonNode.Parse(line);
                }
                catch (JsonException)
                {
                    break;
                }
                if (watchEvent?["type"]?.GetValue<string>() is "ADDED" or "MODIFIED" && watchEvent["object"] is { } obj && Outcome(name, obj) is { } issued)
                    return issued;
                if (watchEvent?["type"]?.GetValue<string>() is "DELETED")
                    throw new JoinException($"certificate signing request {name} was deleted before a certificate was issued");
                if (watchEvent?["type"]?.GetValue<string>() is "ERROR")
                    break;
            }
        }
    }

    /// <summary>The issued certificate (PEM), null while there is none; throws when the request was denied or failed.</summary>
    private static string? Outcome(string name, JsonNode csr)
    {
        foreach (var condition in csr["status"]?["conditions"] as JsonArray ?? [])
        {
            if (condition?["type"]?.GetValue<string>() is "Denied" or "Failed" && condition["status"]?.GetValue<string>() is null or "True")
            {
                throw new JoinException($"certificate signing request {name} was {condition["type"]!.GetValue<string>().ToLowerInvariant()}: " +
                    $"{condition["reason"]?.GetValue<string>()}: {condition["message"]?.GetValue<string>()}");
            }
        }
        return csr["status"]?["certificate"]?.GetValue<string>() is { Length: > 0 } certificate
            ? Encoding.ASCII.GetString(Convert.FromBase64String(certificate))
            : null;
    }

    private static partial class Log
    {
        [LoggerMessage(4200, LogLevel.Information, "Sent certificate signing request {Name} for node {Node}; waiting for it to be approved and signed")]
        public static partial void Requested(ILogger logger, string name, string node);
    }
}
