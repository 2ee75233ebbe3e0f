using System.Globalization;
using System.Text;

namespace Berth.Agent.Streaming;

/// <summary>
/// One line of a container log file in CRI's format: <c>&lt;RFC 3339 time&gt; &lt;stdout|stderr&gt; &lt;P|F&gt; &lt;content&gt;</c>,
/// where <c>P</c> marks part of a longer line the runtime split and <c>F</c> its end.
/// </summary>
public readonly record struct CriLogLine(DateTimeOffset Time, string TimeText, bool Partial, string Content)
{
    public static bool TryParse(string line, out CriLogLine parsed)
    {
        parsed = default;
        var first = line.IndexOf(' ', StringComparison.Ordinal);
        var second = first < 0 ? -1 : line.IndexOf(' ', first + 1);
        var third = second < 0 ? -1 : line.IndexOf(' ', second + 1);
        if (third < 0 && second >= 0 && line.Length == second + 2)
            third = line.Length;
        if (third < 0 || !DateTimeOffset.TryParse(line[..first], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return false;
        var tag = line[(second + 1)..Math.Min(third, line.Length)];
        parsed = new CriLogLine(time, line[..first], tag.StartsWith('P'), third >= line.Length ? "" : line[(third + 1)..]);
        return true;
    }

    /// <summary>The line as <c>kubectl logs</c> shows it: its content, prefixed with its time when asked, a newline after a full line.</summary>
    public string Render(bool timestamps, bool startsLine)
    {
        var text = new StringBuilder();
        if (timestamps && startsLine)
            text.Append(TimeText).Append(' ');
        text.Append(Content);
        if (!Partial)
            text.Append('\n');
        return text.ToString();
    }
}
