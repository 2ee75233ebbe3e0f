using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>
/// A new CertificateSigningRequest's spec, as upstream validates it: a PEM PKCS#10 request whose signature holds, a
/// signer name, at least one known usage, and no expiration shorter than ten minutes. (The spec cannot change later.)
/// </summary>
internal static class CertificateSigningRequestValidation
{
    /// <summary>The key usages upstream's API knows (certificates.k8s.io/v1 KeyUsage).</summary>
    private static readonly string[] KnownUsages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ];

    public static void Validate(JsonObject spec, List<StatusCause> causes)
    {
        if (RequestProblem(spec["request"]) is { } problem)
            causes.Add(problem);
        if (spec["signerName"] is not JsonValue signer || !signer.TryGetValue<string>(out var signerName) || signerName.Length == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.signerName"));
        else if (signerName.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{signerName}\": must be a fully qualified domain and path of the form 'example.com/signer-name'", "spec.signerName"));
        var usages = spec["usages"] as JsonArray ?? [];
        if (usages.Count == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.usages"));
        for (var i = 0; i < usages.Count; i++)
        {
            var usage = usages[i] is JsonValue u && u.TryGetValue<string>(out var text) ? text : "";
            if (!KnownUsages.Contains(usage))
            {
                causes.Add(new StatusCause("FieldValueNotSupported",
                    $"Unsupported value: \"{usage}\": supported values: {string.Join(", ", KnownUsages.Select(k => $"\"{k}\""))}", $"spec.usages[{i}]"));
            }
        }
        if (JsonNumbers.Integer(spec["expirationSeconds"]) is < 600)
            causes.Add(new StatusCause("FieldValueInvalid", "Invalid value: may not specify a duration less than 600 seconds (10 minutes)", "spec.expirationSeconds"));
    }

    private static StatusCause? RequestProblem(JsonNode? request)
    {
        if (request is not JsonValue value || !value.TryGetValue<string>(out var base64) || base64.Length == 0)
            return new StatusCause("FieldValueRequired", "Required value", "spec.request");
        try
        {
            var pem = Encoding.ASCII.GetString(Convert.FromBase64String(base64));
            CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return null;
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return new StatusCause("FieldValueInvalid", "Invalid value: the request is not a PEM-encoded PKCS#10 certificate request with a valid signature", "spec.request");
        }
    }
}
