using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Berth.Commands;

/// <summary>Durations written as upstream's flags take them (Go's form): <c>2m0s</c>, <c>90s</c>, <c>1h30m</c>, <c>500ms</c>, <c>0</c>.</summary>
internal static partial class GoDuration
{
    public static TimeSpan? Parse(string text)
    {
        if (text == "0")
            return TimeSpan.Zero;
        var match = Parts().Match(text);
        if (!match.Success)
            return null;
        var ticks = 0m;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = Unit().Match(part.Value);
            var amount = decimal.Parse(unit.Groups["amount"].Value, CultureInfo.InvariantCulture);
            ticks += amount * unit.Groups["unit"].Value switch
            {
                "ns" => 0.01m,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
        }
        return ticks <= TimeSpan.MaxValue.Ticks ? TimeSpan.FromTicks((long)ticks) : null;
    }

    /// <summary>A flag's duration, or the parse error naming it.</summary>
    public static TimeSpan Flag(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Parse(text) is { } duration)
            return duration;
        result.AddError($"invalid duration \"{text}\" for {(result.Parent as OptionResult)?.Option.Name}: use a form like 2m0s, 90s or 500ms");
        return TimeSpan.Zero;
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex Parts();

    [GeneratedRegex(@"^(?<amount>\d+(\.\d+)?)(?<unit>.+)$")]
    private static partial Regex Unit();
}
