using System.Globalization;
using System.Text;

namespace Berth.Core.Networking;

/// <summary>
/// The head of an HTTP/1.1 message, request or response: its start line split in three and its header fields (a
/// name may repeat). Read byte by byte, so that whatever follows the head stays unread in the stream: after a
/// <c>101 Switching Protocols</c> those bytes belong to the next protocol.
/// </summary>
public sealed class HttpHead
{
    private const int MaxBytes = 16 * 1024;

    private HttpHead(string first, string second, string third, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        First = first;
        Second = second;
        Third = third;
        Fields = fields;
    }

    /// <summary>The method of a request, the protocol version of a response.</summary>
    public string First { get; }

    /// <summary>The target of a request, the status code of a response.</summary>
    public string Second { get; }

    /// <summary>The protocol version of a request, the reason phrase of a response.</summary>
    public string Third { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>A response's status code; 0 when the head is not a response's.</summary>
    public int StatusCode => int.TryParse(Second, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 0;

    /// <summary>Every value of the header <paramref name="name"/>, comma-separated lists split.</summary>
    public IEnumerable<string> Values(string name) =>
        Fields.Where(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            .SelectMany(f => f.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The first value of the header <paramref name="name"/>, or null.</summary>
    public string? Value(string name) => Fields.FirstOrDefault(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The head at the start of <paramref name="stream"/>, or null when the stream ends first or sends no HTTP head.</summary>
    public static async Task<HttpHead?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(512);
        var one = new byte[1];
        while (bytes.Count < MaxBytes)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
                return null;
            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n')
                return Parse(Encoding.Latin1.GetString([.. bytes]));
        }
        return null;
    }

    /// <summary>A request head as text, ready to send: the request line, the fields, the empty line.</summary>
    public static string Request(string method, string target, IEnumerable<KeyValuePair<string, string>> fields) =>
        Render($"{method} {target} HTTP/1.1", fields);

    /// <summary>A response head as text, ready to send.</summary>
    public static string Response(int code, string reason, IEnumerable<KeyValuePair<string, string>> fields) =>
        Render($"HTTP/1.1 {code.ToString(CultureInfo.InvariantCulture)} {reason}", fields);

    private static string Render(string startLine, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var text = new StringBuilder(startLine).Append("\r\n");
        foreach (var (name, value) in fields)
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        return text.Append("\r\n").ToString();
    }

    private static HttpHead? Parse(string text)
    {
        var lines = text.Split("\r\n");
        var start = lines[0].Split(' ', 3);
        if (start.Length < 2)
            return null;
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                return null;
            fields.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new HttpHead(start[0], start[1], start.Length > 2 ? start[2] : "", fields);
    }
}
