using System.Net;
using Berth.Agent.Nodes;
using Berth.Client;
using Berth.Proxy;
using Berth.Proxy.Dns;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Network;

/// <summary>
/// What makes Services work on a node with real containers, started once the node has its pod CIDR: the bridge
/// readied for service traffic; the service proxy keeping the node's nftables table in step with the cluster's
/// Services and EndpointSlices; and the node's cluster DNS server on its bridge address, published as this node's
/// endpoint of <c>kube-system/kube-dns</c> (whose cluster IP the pods' resolv.conf names). Whatever fails is logged
/// and tried again, so that a node never goes on without its Services unnoticed.
/// </summary>
public sealed partial class NodeServices(ApiClient client, string nodeName, PodNetworkSettings settings, IReadOnlyList<string> nodePortAddresses, PodNetwork network,
    ILoggerFactory loggers)
{
    private static readonly TimeSpan RepublishPeriod = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger = loggers.CreateLogger<NodeServices>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var cidr = await network.Known.WaitAsync(cancellationToken);
        await KeepTryingAsync("ready the bridge for services", _ => HostNetworking.EnsureBridgeAsync(settings, cidr, _logger), cancellationToken);
        var gateway = IPAddress.Parse(cidr.Address(1));
        var proxyOptions = new ServiceProxyOptions(settings.ProxyTable, nodeName, settings.ClusterCidr, settings.ServiceCidr, nodePortAddresses);
        var dnsOptions = new ClusterDnsOptions
        {
            Domain = settings.ClusterDomain,
            Endpoint = new IPEndPoint(gateway, ClusterDnsOptions.DefaultPort),
            Upstreams = [.. settings.DnsUpstreams.Select(Upstream)],
        };
        await Task.WhenAll(
            KeepTryingAsync("run the service proxy", new ServiceProxy(client, proxyOptions, loggers).RunAsync, cancellationToken),
            KeepTryingAsync("run the cluster DNS", async stop =>
            {
                var dns = new ClusterDns(client, dnsOptions, loggers);
                await Task.WhenAll(dns.RunAsync(stop), PublishDnsAsync(dns, gateway, stop));
            }, cancellationToken));
    }

    /// <summary>Runs <paramref name="run"/> until it ends on its own or is cancelled; when it fails, says so and runs it again, less often each time.</summary>
    private async Task KeepTryingAsync(string what, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await run(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.Failed(_logger, nodeName, what, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>An upstream DNS server as the flag gives it: an address, with port 53 unless it names another.</summary>
    private static IPEndPoint Upstream(string text) =>
        IPAddress.TryParse(text, out var address) ? new IPEndPoint(address, ClusterDnsOptions.DefaultPort) : IPEndPoint.Parse(text);

    /// <summary>
    /// Publishes the DNS server as this node's kube-dns endpoint once it answers, and keeps it published (a failure
    /// to start is its RunAsync's to report).
    /// </summary>
    private async Task PublishDnsAsync(ClusterDns dns, IPAddress address, CancellationToken cancellationToken)
    {
        try
        {
            await dns.Ready.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return;
        }
        // Again every minute: a slice deleted, or gone with a Node registered anew, comes back.
        using var every = new PeriodicTimer(RepublishPeriod);
        try
        {
            do
            {
                await KeepTryingAsync("publish the cluster DNS as a kube-system/kube-dns endpoint",
                    stop => NodeDnsEndpoint.PublishAsync(client, nodeName, address.ToString(), ClusterDnsOptions.DefaultPort, stop), cancellationToken);
            }
            while (await every.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4304, LogLevel.Error, "Node {Node} could not {What}: {Error}; trying again in {Seconds} s")]
        public static partial void Failed(ILogger logger, string node, string what, string error, double seconds);
    }
}
