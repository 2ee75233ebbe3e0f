using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Security;

/// <summary>
/// Service-account tokens: JWTs signed with the server's ES256 key (<c>server/tls/service-account.key</c>, made on
/// first start), with Kubernetes' claims, so that software in pods can authenticate as its service account.
/// </summary>
public sealed class ServiceAccountTokens
{
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    private readonly ECDsa _key;
    private readonly string _keyId;
    private readonly TimeProvider _time;

    private ServiceAccountTokens(ECDsa key, TimeProvider time)
    {
        _key = key;
        _time = time;
        _keyId = Base64Url.EncodeToString(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public static ServiceAccountTokens LoadOrCreate(string tlsDir, TimeProvider time)
    {
        var path = Path.Combine(tlsDir, "service-account.key");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return new ServiceAccountTokens(key, time);
    }

    /// <summary>Issues a token for a service account; returns it and when it expires.</summary>
    public (string Token, DateTimeOffset Expires) Issue(string ns, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var expires = now + lifetime;
        var claims = new JsonObject
        {
            ["aud"] = new JsonArray([.. audiences.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
            },
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = _keyId };
        var signingInput = $"{Encode(header)}.{Encode(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return ($"{signingInput}.{Base64Url.EncodeToString(signature)}", expires);
    }

    /// <summary>The service account a valid, unexpired token of ours names (namespace, name, uid), or null.</summary>
    public (string Namespace, string Name, string Uid)? Validate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
            return null;
        try
        {
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (!_key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return null;
            var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            if (claims["iss"]?.GetValue<string>() != Issuer || claims["exp"]?.GetValue<long>() < now || claims["nbf"]?.GetValue<long>() > now + 60)
                return null;
            var account = claims["kubernetes.io"]!;
            return (account["namespace"]!.GetValue<string>(), account["serviceaccount"]!["name"]!.GetValue<string>(),
                account["serviceaccount"]!["uid"]!.GetValue<string>());
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            return null;
        }
    }

    private static string Encode(JsonNode node) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node.ToJsonString()));
}
