using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Berth.Proxy.Dns;
using Berth.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Proxy.Tests;

/// <summary>The real server on 127.0.0.1 and a free port, asked over UDP and TCP with ARSoft's DNS client and with raw datagrams.</summary>
public sealed class ClusterDnsServerTests : IDisposable
{
    private const int Endpoints = 60;

    private readonly ClusterDnsRecords _records = new("cluster.local", 5, TimeProvider.System);
    private readonly ClusterDnsServer _server;

    public ClusterDnsServerTests()
    {
        _records.SetService(null, Read(DnsService.Read, """
            {"metadata": {"namespace": "default", "name": "web"},
             "spec": {"clusterIP": "10.43.0.5", "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}}
            """));
        _records.SetService(null, Read(DnsService.Read, """{"metadata": {"namespace": "default", "name": "many"}, "spec": {"clusterIP": "None"}}"""));
        var endpoints = string.Join(',', Enumerable.Range(1, Endpoints).Select(i => $$"""{"addresses": ["10.42.1.{{i}}"]}"""));
        _records.SetSlice(null, Read(DnsEndpointSlice.Read, $$$"""
            {"metadata": {"namespace": "default", "name": "many-x", "labels": {"kubernetes.io/service-name": "many"}}, "endpoints": [{{{endpoints}}}]}
            """));
        _server = new ClusterDnsServer(_records, new ClusterDnsOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, FreePort.Next()) }, NullLogger.Instance);
        _server.Start();
    }

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(TransportProtocol.Udp)]
    [InlineData(TransportProtocol.Tcp)]
    public async Task Query_WhenAServiceExists_ThenItsAddressIsTheAuthoritativeAnswer(TransportProtocol protocol)
    {
        _records.MarkSynced();
        using var client = Client(protocol);

        var answer = await client.ResolveAsync(DomainName.Parse("Web.Default.svc.cluster.local"), RecordType.A);

        Assert.NotNull(answer);
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        var record = Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal(IPAddress.Parse("10.43.0.5"), record.Address);
        Assert.Equal(5, record.TimeToLive);
    }

    [Theory]
    [InlineData(TransportProtocol.Udp)]
    [InlineData(TransportProtocol.Tcp)]
    public async Task Query_WhenAskedForSrv_ThenTargetsComeWithTheirAddresses(TransportProtocol protocol)
    {
        _records.MarkSynced();
        using var client = Client(protocol);

        var answer = await client.ResolveAsync(DomainName.Parse("_http._tcp.web.default.svc.cluster.local"), RecordType.Srv);

        Assert.NotNull(answer);
        var srv = Assert.IsType<SrvRecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal((80, "web.default.svc.cluster.local"), (srv.Port, srv.Target.ToString(false)));
        Assert.Contains(answer.AdditionalRecords, r => r is ARecord a && a.Address.Equals(IPAddress.Parse("10.43.0.5")));
    }

    [Fact]
    public async Task Query_WhenTheNameDoesNotExist_ThenNxDomainWithTheZonesSoa()
    {
        _records.MarkSynced();
        using var client = Client(TransportProtocol.Udp);

        var answer = await client.ResolveAsync(DomainName.Parse("nope.default.svc.cluster.local"), RecordType.A);

        Assert.NotNull(answer);
        Assert.Equal(ReturnCode.NxDomain, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
        Assert.Equal(("cluster.local", "ns.dns.cluster.local", 5), (soa.Name.ToString(false), soa.MasterName.ToString(false), soa.NegativeCachingTTL));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("1.0.0.127.in-addr.arpa")]
    public async Task Query_WhenTheNameIsOutsideTheClusterAndNoUpstreamIsSet_ThenRefused(string name)
    {
        _records.MarkSynced();
        using var client = Client(TransportProtocol.Udp);

        var answer = await client.ResolveAsync(DomainName.Parse(name), RecordType.A);

        Assert.NotNull(answer);
        Assert.Equal(ReturnCode.Refused, answer.ReturnCode);
        Assert.Empty(answer.AnswerRecords);
        Assert.False(answer.IsRecursionAllowed);
    }

    [Fact]
    public async Task Query_WhenTheRecordsAreNotListedYet_ThenServerFailure()
    {
        using var client = Client(TransportProtocol.Udp);

        var answer = await client.ResolveAsync(DomainName.Parse("web.default.svc.cluster.local"), RecordType.A);

        Assert.NotNull(answer);
        Assert.Equal(ReturnCode.ServerFailure, answer.ReturnCode);
    }

    [Fact]
    public async Task Query_WhenAUdpAnswerExceeds512BytesWithoutEdns_ThenItIsTruncatedWithTheTcBit()
    {
        _records.MarkSynced();

        var answer = await RawUdpAsync("many.default.svc.cluster.local", ednsBufferSize: null);

        Assert.True(answer.IsTruncated);
        Assert.InRange(answer.AnswerRecords.Count, 1, Endpoints - 1);
    }

    [Fact]
    public async Task Query_WhenEdnsAllowsALargerUdpAnswer_ThenItComesWhole()
    {
        _records.MarkSynced();

        var answer = await RawUdpAsync("many.default.svc.cluster.local", ednsBufferSize: 4096);

        Assert.False(answer.IsTruncated);
        Assert.Equal(Endpoints, answer.AnswerRecords.Count);
    }

    [Fact]
    public async Task Query_WhenALargeAnswerGoesOverTcp_ThenItComesWhole()
    {
        _records.MarkSynced();
        using var client = Client(TransportProtocol.Tcp);
        var query = new DnsMessage { IsQuery = true, OperationCode = OperationCode.Query, IsRecursionDesired = true };
        query.Questions.Add(new DnsQuestion(DomainName.Parse("many.default.svc.cluster.local"), RecordType.A, RecordClass.INet));

        var answer = await client.SendMessageAsync(query);

        Assert.NotNull(answer);
        Assert.False(answer.IsTruncated);
        Assert.Equal(Endpoints, answer.AnswerRecords.Count);
        Assert.True(_server.Queries >= 1);
    }

    private DnsClient Client(TransportProtocol protocol) => new([IPAddress.Loopback],
        [protocol == TransportProtocol.Udp ? new UdpClientTransport(_server.Endpoint.Port) : new TcpClientTransport(_server.Endpoint.Port)],
        disposeTransport: true, queryTimeout: 5000);

    /// <summary>Sends an A query as a bare datagram (with an OPT record announcing <paramref name="ednsBufferSize"/>, if given) and reads the reply.</summary>
    private async Task<DnsMessage> RawUdpAsync(string name, int? ednsBufferSize)
    {
        var query = new List<byte> { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte)(ednsBufferSize is null ? 0 : 1) };
        foreach (var label in name.Split('.'))
        {
            query.Add((byte)label.Length);
            query.AddRange(Encoding.ASCII.GetBytes(label));
        }
        query.AddRange([0, 0, 1, 0, 1]);
        if (ednsBufferSize is { } size)
        {
            var opt = new byte[11];
            BinaryPrimitives.WriteUInt16BigEndian(opt.AsSpan(1), 41);
            BinaryPrimitives.WriteUInt16BigEndian(opt.AsSpan(3), (ushort)size);
            query.AddRange(opt);
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(_server.Endpoint);
        await socket.SendAsync(query.ToArray());
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        var answer = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, received));
        Assert.Equal(0x1234, answer.TransactionID);
        return answer;
    }

    private static T Read<T>(Func<JsonElement, T> read, string json)
    {
        using var document = JsonDocument.Parse(json);
        return read(document.RootElement);
    }
}
