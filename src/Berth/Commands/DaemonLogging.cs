using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// How the long-running commands (server, agent) log: one line a message, stamped with the UTC time to the
/// millisecond, so that a log can be lined up with metrics, another node's log or a user's report.
/// </summary>
internal static class DaemonLogging
{
    public static ILoggerFactory Create() => LoggerFactory.Create(logging => logging
        .AddSimpleConsole(o => (o.SingleLine, o.TimestampFormat, o.UseUtcTimestamp) = (true, "yyyy-MM-ddTHH:mm:ss.fffZ ", true))
        .AddFilter("Microsoft", LogLevel.Warning));
}
