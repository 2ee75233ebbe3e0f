using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;

namespace Berth.Storage.Etcd;

/// <summary>
/// One HTTP/2 channel to the etcd cluster. With several members it resolves to all of them and uses the first
/// that answers, moving to another when it fails.
/// </summary>
internal static class EtcdChannel
{
    public static GrpcChannel Create(IReadOnlyList<Uri> endpoints)
    {
        var handler = new SocketsHttpHandler
        {
            // Each watch is an HTTP/2 stream; past the per-connection stream limit open more connections.
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        if (endpoints.Count == 1)
        {
            return GrpcChannel.ForAddress(endpoints[0], new GrpcChannelOptions
            {
                HttpHandler = handler,
                Credentials = ChannelCredentials.Insecure,
                MaxReceiveMessageSize = null,
            });
        }

        var addresses = endpoints.Select(e => new BalancerAddress(e.Host, e.Port)).ToArray();
        return GrpcChannel.ForAddress("static:///etcd", new GrpcChannelOptions
        {
            HttpHandler = handler,
            Credentials = ChannelCredentials.Insecure,
            MaxReceiveMessageSize = null,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new PickFirstConfig() } },
            ServiceProvider = new ResolverProvider(new StaticResolverFactory(_ => addresses)),
        });
    }

    /// <summary>Hands the channel its resolver; it asks for nothing else that it cannot default.</summary>
    private sealed class ResolverProvider(ResolverFactory factory) : IServiceProvider
    {
        public object? GetService(Type serviceType) =>
            serviceType == typeof(IEnumerable<ResolverFactory>) ? new[] { factory }
            : serviceType == typeof(ResolverFactory) ? factory
            : null;
    }
}
