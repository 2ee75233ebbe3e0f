using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Berth.Proxy.Dns;

/// <summary>Asks upstream DNS servers, in order, what the cluster's records cannot answer (only when some are configured).</summary>
internal sealed class DnsForwarder : IDisposable
{
    private readonly List<DnsClient> _clients;

    public DnsForwarder(IReadOnlyList<IPEndPoint> upstreams, TimeSpan timeout)
    {
        _clients = [.. upstreams.Select(u => new DnsClient([u.Address], [new UdpClientTransport(u.Port), new TcpClientTransport(u.Port)], disposeTransport: true,
            (int)timeout.TotalMilliseconds))];
    }

    /// <summary>The first upstream answer that is not a failure, or null when every server failed or said nothing.</summary>
    public async Task<DnsMessage?> ForwardAsync(DnsMessage query, CancellationToken cancellationToken)
    {
        foreach (var client in _clients)
        {
            var message = new DnsMessage
            {
                IsQuery = true,
                OperationCode = OperationCode.Query,
                IsRecursionDesired = query.IsRecursionDesired,
                IsCheckingDisabled = query.IsCheckingDisabled,
                IsEDnsEnabled = true,
            };
            message.Questions.AddRange(query.Questions);
            if (await client.SendMessageAsync(message, cancellationToken) is { ReturnCode: not ReturnCode.ServerFailure } answer)
                return answer;
        }
        return null;
    }

    public void Dispose()
    {
        foreach (IDisposable client in _clients)
            client.Dispose();
    }
}
