namespace Berth.ApiServer.Protobuf;

/// <summary>The wire messages Berth can decode, loaded from the embedded <c>WireSchema.txt</c>.</summary>
internal sealed class WireSchema
{
    private readonly Dictionary<string, Dictionary<int, WireField>> _messages;

    private WireSchema(Dictionary<string, Dictionary<int, WireField>> messages) => _messages = messages;

    public static WireSchema Kubernetes { get; } = Load();

    public IReadOnlyDictionary<int, WireField>? Message(string name) => _messages.GetValueOrDefault(name);

    public static WireSchema Parse(TextReader text)
    {
        var messages = new Dictionary<string, Dictionary<int, WireField>>(StringComparer.Ordinal);
        Dictionary<int, WireField>? current = null;
        while (text.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts[0] == "message")
            {
                current = [];
                messages[parts[1]] = current;
                continue;
            }
            var number = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var type = parts[2];
            string? mapValue = null;
            if (type.StartsWith("map=", StringComparison.Ordinal))
                (type, mapValue) = ("map", type[4..]);
            var flags = parts.Skip(3).ToHashSet(StringComparer.Ordinal);
            current![number] = new WireField(number, parts[1], type, flags.Contains("repeated"), mapValue, flags.Contains("ptr"), flags.Contains("inline"));
        }
        return new WireSchema(messages);
    }

    private static WireSchema Load()
    {
        using var stream = typeof(WireSchema).Assembly.GetManifestResourceStream("WireSchema.txt")
            ?? throw new InvalidOperationException("the embedded WireSchema.txt is missing from the build");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
