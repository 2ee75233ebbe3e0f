using System.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;

namespace Berth.Proxy.Dns;

/// <summary>
/// The DNS protocol side of cluster DNS: ARSoft.Tools.Net's server listening with UDP and TCP on one endpoint, each
/// query answered from <see cref="ClusterDnsRecords"/>. Answers for the cluster's names are authoritative; until the
/// records have their first full view of the cluster every query fails (SERVFAIL, which resolvers retry) rather than
/// be told a name does not exist. Names outside the cluster's zones are forwarded to the upstream servers when some
/// are configured and refused (REFUSED) when none are. UDP answers longer than 512 bytes, or than the client's EDNS
/// buffer when it announces a larger one, are truncated with the TC bit set, so that the client asks again over TCP.
/// </summary>
internal sealed partial class ClusterDnsServer : IDisposable
{
    private readonly ClusterDnsRecords _records;
    private readonly DnsForwarder? _forwarder;
    private readonly ILogger _logger;
    private readonly DnsServer _server;
    private long _queries;

    public ClusterDnsServer(ClusterDnsRecords records, ClusterDnsOptions options, ILogger logger)
    {
        _records = records;
        _logger = logger;
        _forwarder = options.Upstreams.Count > 0 ? new DnsForwarder(options.Upstreams, options.UpstreamTimeout) : null;
        Endpoint = options.Endpoint;
        _server = new DnsServer(new UdpServerTransport(Endpoint), new TcpServerTransport(Endpoint));
        _server.QueryReceived += OnQueryAsync;
        _server.ExceptionThrown += OnExceptionAsync;
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>Queries answered so far.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Binds UDP and TCP and starts answering; throws (a <see cref="System.Net.Sockets.SocketException"/>) when the port is taken.</summary>
    public void Start() => _server.Start();

    public void Dispose()
    {
        ((IDisposable)_server).Dispose();
        _forwarder?.Dispose();
    }

    /// <summary>The answer to <paramref name="query"/>.</summary>
    public async Task<DnsMessage> AnswerAsync(DnsMessage query, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = _forwarder is not null;
        if (query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return response;
        }
        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return response;
        }
        var question = query.Questions[0];
        if (question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }
        if (!_records.Synced)
        {
            response.ReturnCode = ReturnCode.ServerFailure;
            return response;
        }
        var answer = _records.Lookup(string.Join('.', question.Name.Labels), question.RecordType);
        if (answer.IsOutside)
            return await ForwardAsync(query, response, cancellationToken);
        response.IsAuthoritiveAnswer = true;
        response.ReturnCode = answer.Code;
        response.AnswerRecords.AddRange(answer.Answers);
        response.AuthorityRecords.AddRange(answer.Authority);
        response.AdditionalRecords.AddRange(answer.Additional);
        return response;
    }

    /// <summary>
    /// A name that is none of the cluster's: refused without upstream servers (this server answers only for its zones
    /// and offers no recursion, as CoreDNS refuses zones it does not serve; a resolver then tries its next server at
    /// once, where SERVFAIL would have it retry a failure that is not one), otherwise what the upstream answered.
    /// </summary>
    private async Task<DnsMessage> ForwardAsync(DnsMessage query, DnsMessage response, CancellationToken cancellationToken)
    {
        if (_forwarder is null)
        {
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }
        var upstream = await _forwarder.ForwardAsync(query, cancellationToken);
        if (upstream is null)
        {
            Log.UpstreamFailed(_logger, query.Questions[0].Name.ToString());
            response.ReturnCode = ReturnCode.ServerFailure;
            return response;
        }
        response.ReturnCode = upstream.ReturnCode;
        response.AnswerRecords.AddRange(upstream.AnswerRecords);
        response.AuthorityRecords.AddRange(upstream.AuthorityRecords);
        response.AdditionalRecords.AddRange(upstream.AdditionalRecords.Where(r => r.RecordType != RecordType.Opt));
        return response;
    }

    private async Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is DnsMessage query)
            e.Response = await AnswerAsync(query, CancellationToken.None);
    }

    private Task OnExceptionAsync(object sender, ExceptionEventArgs e)
    {
        Log.QueryFailed(_logger, e.Exception);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(6120, LogLevel.Debug, "Cluster DNS could not read or answer a query (a malformed packet or a client gone)")]
        public static partial void QueryFailed(ILogger logger, Exception exception);

        [LoggerMessage(6121, LogLevel.Warning, "No upstream DNS server answered for {Name}; check the cluster DNS upstream servers")]
        public static partial void UpstreamFailed(ILogger logger, string name);
    }
}
