using System.Net.Sockets;
using Grpc.Net.Client;

namespace Berth.Agent.Cri;

/// <summary>A gRPC channel to a CRI runtime's unix socket: HTTP/2 without TLS, one channel for every call.</summary>
internal static class CriConnection
{
    /// <summary>The largest answer accepted: lists of many containers exceed gRPC's 4 MiB default.</summary>
    private const int MaxMessageBytes = 16 << 20;

    public static GrpcChannel Open(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // http:// makes it HTTP/2 with prior knowledge, as gRPC over a unix socket is.
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = MaxMessageBytes });
    }
}
