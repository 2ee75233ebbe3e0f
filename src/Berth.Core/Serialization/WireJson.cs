using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Berth.Core.Serialization;

/// <summary>
/// How Berth writes JSON that leaves the process or is stored: escaping only what JSON requires, so a quote inside
/// a string is <c>\"</c> (as upstream writes it) and not the six bytes of <c>\u0022</c>. Annotations such as
/// last-applied-configuration and managedFields keys are full of quotes.
/// </summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = NodeJsonContext.Default,
    };

    public static JsonWriterOptions Writer { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonTypeInfo<JsonNode> NodeInfo = (JsonTypeInfo<JsonNode>)Options.GetTypeInfo(typeof(JsonNode));

    /// <summary>The node written as UTF-8 the wire's way.</summary>
    public static byte[] Bytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, NodeInfo);
}

/// <summary>
/// Serialization of JSON trees without reflection: the binary is compiled ahead of time, where reflection-bound
/// serialization is not available. Its default options escape as System.Text.Json does by default.
/// </summary>
[JsonSerializable(typeof(JsonNode))]
public sealed partial class NodeJsonContext : JsonSerializerContext;
