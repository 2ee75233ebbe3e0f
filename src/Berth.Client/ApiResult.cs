using System.Text.Json.Nodes;

namespace Berth.Client;

/// <summary>
/// An answer of the API server: the HTTP code and the JSON body (an object, or a Status on failure). The body is
/// parsed when first asked for: most writers (events, status reports) never look at what came back.
/// </summary>
public sealed class ApiResult(int code, byte[] json)
{
    private JsonNode? _body;
    private bool _parsed;

    public int Code => code;

    /// <summary>The body, null when there was none.</summary>
    public JsonNode? Body
    {
        get
        {
            if (!_parsed)
                (_body, _parsed) = (json.Length == 0 ? null : JsonNode.Parse(json), true);
            return _body;
        }
    }

    public bool Succeeded => Code is >= 200 and < 300;

    public bool IsNotFound => Code == 404;

    public bool IsConflict => Code == 409;

    /// <summary>
    /// Throws when the request failed, naming <paramref name="what"/> was attempted; with
    /// <paramref name="goneIsFine"/>, a 404 counts as done (the object to change or delete is already gone).
    /// </summary>
    public void ThrowIfFailed(string what, bool goneIsFine = false)
    {
        if (!Succeeded && !(goneIsFine && IsNotFound))
            throw new InvalidOperationException($"{what} failed: {Message}");
    }

    /// <summary>The Status message of a failure, for logs.</summary>
    public string Message => Body?["message"]?.GetValue<string>() ?? $"HTTP {Code}";
}
