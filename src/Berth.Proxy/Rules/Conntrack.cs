using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Berth.Proxy.Rules;

/// <summary>
/// Forgets conntrack entries of UDP flows whose endpoint is gone. UDP has no connection to end, so without this a
/// client that keeps sending from the same port (a DNS resolver, say) would keep being sent to the old address.
/// </summary>
internal static partial class Conntrack
{
    public static async Task ForgetAsync(IEnumerable<UdpFlow> flows, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var flow in flows)
        {
            string[] match = flow.ServiceIp is { } ip ? ["--orig-dst", ip] : ["--orig-port-dst", flow.NodePort.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            var start = new ProcessStartInfo("conntrack") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])["-D", "-p", "udp", .. match, "--reply-src", flow.Endpoint])
                start.ArgumentList.Add(argument);
            try
            {
                using var process = Process.Start(start)!;
                var error = process.StandardError.ReadToEndAsync(cancellationToken);
                await process.StandardOutput.ReadToEndAsync(cancellationToken);
                await process.WaitForExitAsync(cancellationToken);
                // conntrack exits 1 when it found nothing to delete, which is the usual case.
                if (process.ExitCode > 1)
                    Log.Failed(logger, flow.Endpoint, (await error).Trim());
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Log.Failed(logger, flow.Endpoint, e.Message);
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6010, LogLevel.Warning, "Could not forget the UDP flows to {Endpoint} (is the conntrack tool installed?): {Error}")]
        public static partial void Failed(ILogger logger, string endpoint, string error);
    }
}
