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
/// endpoint of <c>kube-system/kube-dns</c> (whose cluster IP the pods' resolv.conf names).
/// </summary>
public sealed partial class NodeServices(ApiClient client, string nodeName, PodNetworkSettings settings, IReadOnlyList<string> nodePortAddresses, PodNetwork network,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<NodeServices>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var cidr = await network.Known.WaitAsync(cancellationToken);
        await HostNetworking.EnsureBridgeAsync(settings, cidr, _logger);
        var proxy = new ServiceProxy(client, new ServiceProxyOptions(settings.ProxyTable, nodeName, settings.ClusterCidr, settings.ServiceCidr, nodePortAddresses), loggers);
        var gateway = IPAddress.Parse(cidr.Address(1));
        var dns = new ClusterDns(client, new ClusterDnsOptions
        {
            Domain = settings.ClusterDomain,
            Endpoint = new IPEndPoint(gateway, ClusterDnsOptions.DefaultPort),
            Upstreams = [.. settings.DnsUpstreams.Select(Upstream)],
        }, loggers);
        await Task.WhenAll(proxy.RunAsync(cancellationToken), dns.RunAsync(cancellationToken), PublishDnsAsync(dns, gateway, cancellationToken));
    }

    /// <summary>An upstream DNS server as the flag gives it: an address, with port 53 unless it names another.</summary>
    private static IPEndPoint Upstream(string text) =>
        IPAddress.TryParse(text, out var address) ? new IPEndPoint(address, ClusterDnsOptions.DefaultPort) : IPEndPoint.Parse(text);

    /// <summary>Publishes the DNS server as this node's kube-dns endpoint once it answers, retrying while the API server is away.</summary>
    private async Task PublishDnsAsync(ClusterDns dns, IPAddress address, CancellationToken cancellationToken)
    {
        try
        {
            await dns.Ready.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return; // RunAsync has said why it could not start.
        }
        catch (OperationCanceledException)
        {
            return;
        }
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await NodeDnsEndpoint.PublishAsync(client, nodeName, address.ToString(), ClusterDnsOptions.DefaultPort, cancellationToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                Log.PublishFailed(_logger, nodeName, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4304, LogLevel.Warning, "Could not publish node {Node}'s DNS server as an endpoint of kube-system/kube-dns ({Error}); trying again in {Seconds} s")]
        public static partial void PublishFailed(ILogger logger, string node, string error, double seconds);
    }
}
