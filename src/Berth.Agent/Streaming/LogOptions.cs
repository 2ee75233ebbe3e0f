using System.Globalization;

namespace Berth.Agent.Streaming;

/// <summary>What <c>kubectl logs</c> asks for (PodLogOptions): follow, the previous instance, the last lines, since when, timestamps, a byte limit.</summary>
public sealed record LogOptions(bool Follow, bool Previous, long? TailLines, DateTimeOffset? Since, bool Timestamps, long? LimitBytes)
{
    /// <summary>From a request's query; sinceSeconds counts back from <paramref name="now"/>.</summary>
    public static LogOptions Parse(IReadOnlyDictionary<string, string> query, DateTimeOffset now)
    {
        DateTimeOffset? since = null;
        if (query.TryGetValue("sinceSeconds", out var seconds) && long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var back))
            since = now.AddSeconds(-back);
        else if (query.TryGetValue("sinceTime", out var time) && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            since = at;
        return new LogOptions(
            Flag(query, "follow"), Flag(query, "previous"), Number(query, "tailLines"), since, Flag(query, "timestamps"), Number(query, "limitBytes"));
    }

    private static bool Flag(IReadOnlyDictionary<string, string> query, string name) => query.TryGetValue(name, out var value) && value is "true" or "1";

    private static long? Number(IReadOnlyDictionary<string, string> query, string name) =>
        query.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
}
