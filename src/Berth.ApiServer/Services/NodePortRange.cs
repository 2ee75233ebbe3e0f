using System.Globalization;

namespace Berth.ApiServer.Services;

/// <summary>The ports node ports come from: <see cref="Base"/> and the <see cref="Size"/> - 1 ports after it, written <c>30000-32767</c>.</summary>
internal readonly record struct NodePortRange(int Base, int Size)
{
    /// <summary>Upstream's default range.</summary>
    public static NodePortRange Default { get; } = new(30000, 2768);

    public int Last => Base + Size - 1;

    public bool Contains(long port) => port >= Base && port <= Last;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Base}-{Last}");

    /// <summary>Reads <c>N-M</c> (both ports included, N no greater than M) or a single port <c>N</c>.</summary>
    public static bool TryParse(string? text, out NodePortRange range, out string problem)
    {
        range = default;
        var parts = (text ?? "").Trim().Split('-');
        if (parts.Length is < 1 or > 2 || parts.Any(p => !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            problem = "must be a range of ports written N-M, e.g. 30000-32767";
            return false;
        }
        var first = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var last = int.Parse(parts[^1], CultureInfo.InvariantCulture);
        if (first is < 1 or > 65535 || last is < 1 or > 65535)
        {
            problem = "the ports must be between 1 and 65535";
            return false;
        }
        if (last < first)
        {
            problem = $"the first port ({first}) must not be greater than the last ({last})";
            return false;
        }
        range = new NodePortRange(first, last - first + 1);
        problem = "";
        return true;
    }
}
