using System.Net;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Microsoft.Extensions.Logging;

namespace Berth.Proxy.Dns;

/// <summary>
/// A node's cluster DNS (CoreDNS's role, kubernetes plugin): follows Services and EndpointSlices through the API
/// server and answers for the cluster domain on <see cref="ClusterDnsOptions.Endpoint"/>, UDP and TCP, until cancelled.
/// The port is bound at once (a port already taken fails <see cref="RunAsync"/>); queries fail with SERVFAIL until the
/// first lists are in, after which <see cref="Ready"/> completes. Names outside the cluster's zones are refused unless
/// upstream servers are configured.
/// </summary>
public sealed partial class ClusterDns(ApiClient client, ClusterDnsOptions options, ILoggerFactory loggers)
{
    private static readonly ApiResource Services = new("", "v1", "Service", "services", true, ["list", "watch"]);
    private static readonly ApiResource Slices = new("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, ["list", "watch"]);

    private readonly ILogger _logger = loggers.CreateLogger<ClusterDns>();
    private readonly TaskCompletionSource<IPEndPoint> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClusterDnsServer? _server;

    /// <summary>Completes with the endpoint answering once the server listens and has the cluster's records; fails if it cannot start.</summary>
    public Task<IPEndPoint> Ready => _ready.Task;

    /// <summary>Queries answered so far (for the benchmark and metrics).</summary>
    public long Queries => _server?.Queries ?? 0;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Validate() is { Count: > 0 } errors)
        {
            var invalid = new InvalidOperationException("Invalid cluster DNS options: " + string.Join("; ", errors));
            _ready.TrySetException(invalid);
            throw invalid;
        }
        var records = new ClusterDnsRecords(options.Domain, options.TtlSeconds, TimeProvider.System);
        var services = new Informer<DnsService>(client, Services, DnsService.Read, loggers.CreateLogger<Informer<DnsService>>());
        var slices = new Informer<DnsEndpointSlice>(client, Slices, DnsEndpointSlice.Read, loggers.CreateLogger<Informer<DnsEndpointSlice>>());
        services.OnChange(records.SetService);
        slices.OnChange(records.SetSlice);

        using var server = new ClusterDnsServer(records, options, _logger);
        try
        {
            server.Start();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException)
        {
            Log.CannotListen(_logger, options.Endpoint.ToString(), e.Message);
            _ready.TrySetException(e);
            throw;
        }
        _server = server;
        Log.Listening(_logger, records.Domain, options.Endpoint.ToString());

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.WhenAll(services.RunAsync(stop.Token), slices.RunAsync(stop.Token));
        try
        {
            await Task.WhenAll(services.Synced, slices.Synced).WaitAsync(cancellationToken);
            records.MarkSynced();
            Log.Synced(_logger, records.ServiceCount);
            _ready.TrySetResult(options.Endpoint);
            await watching;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _ready.TrySetCanceled(cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6100, LogLevel.Information, "Cluster DNS listening for {Domain} on {Endpoint} (UDP and TCP); it answers once Services and EndpointSlices are listed")]
        public static partial void Listening(ILogger logger, string domain, string endpoint);

        [LoggerMessage(6101, LogLevel.Information, "Cluster DNS answering with the records of {Services} Services")]
        public static partial void Synced(ILogger logger, int services);

        [LoggerMessage(6102, LogLevel.Error, "Cluster DNS cannot listen on {Endpoint}: {Error}. Is another DNS server using it? Choose another address or port")]
        public static partial void CannotListen(ILogger logger, string endpoint, string error);
    }
}
