using System.Text;
using System.Text.Json.Nodes;

namespace Berth.ApiServer.Protobuf;

/// <summary>
/// Request bodies in <c>application/vnd.kubernetes.protobuf</c>: the bytes "k8s\0", then a runtime.Unknown whose
/// typeMeta (apiVersion, kind) names the object and whose raw field holds it.
/// </summary>
internal static class ProtobufEnvelope
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    /// <summary>API groups as the wire schema names their packages.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        [""] = "core",
        ["apps"] = "apps",
        ["batch"] = "batch",
        ["policy"] = "policy",
        ["rbac.authorization.k8s.io"] = "rbac",
        ["networking.k8s.io"] = "networking",
        ["scheduling.k8s.io"] = "scheduling",
        ["authentication.k8s.io"] = "authentication",
        ["certificates.k8s.io"] = "certificates",
    };

    /// <summary>Decodes the envelope and the object in it into the object's JSON form, apiVersion and kind first.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body, ProtobufDecoder decoder)
    {
        if (body.Length < Magic.Length || !body[..Magic.Length].SequenceEqual(Magic))
            throw new FormatException("the body does not start with the Kubernetes protobuf prefix \"k8s\\0\"");

        string apiVersion = "", kind = "";
        var raw = ReadOnlySpan<byte>.Empty;
        var reader = new WireReader(body[Magic.Length..]);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
                (apiVersion, kind) = TypeMeta(reader.ReadLengthDelimited());
            else if (number == 2)
                raw = reader.ReadLengthDelimited();
            else
                reader.Skip(wireType);
        }
        if (kind.Length == 0)
            throw new FormatException("the protobuf envelope names no kind");

        var slash = apiVersion.LastIndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        if (!Packages.TryGetValue(group, out var package))
            throw new UnsupportedWireMessageException($"decoding {kind}.{group} from protobuf is not supported; send it as JSON");

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        foreach (var (name, value) in decoder.Decode(raw, $"{package}.{version}.{kind}").ToList())
        {
            value?.Parent?.AsObject().Remove(name);
            obj[name] = value;
        }
        return obj;
    }

    private static (string ApiVersion, string Kind) TypeMeta(ReadOnlySpan<byte> data)
    {
        string apiVersion = "", kind = "";
        var reader = new WireReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
                apiVersion = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else if (number == 2)
                kind = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else
                reader.Skip(wireType);
        }
        return (apiVersion, kind);
    }
}
