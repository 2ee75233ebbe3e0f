using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Core.Serialization;

/// <summary>
/// How Berth writes JSON that leaves the process or is stored: escaping only what JSON requires, so a quote inside
/// a string is <c>\"</c> (as upstream writes it) and not the six bytes of <c>\u0022</c>. Annotations such as
/// last-applied-configuration and managedFields keys are full of quotes.
/// </summary>
public static class WireJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonWriterOptions Writer { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
