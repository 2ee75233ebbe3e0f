using Berth.Client;
using Berth.Controllers.Certificates;
using Berth.Controllers.NodeIpam;
using Berth.Controllers.NodeLifecycle;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers;

/// <summary>
/// Runs the controllers, each as a client of the API server (in <c>berth server</c>, over loopback HTTPS, with the
/// same code a separate process would use). A controller that stops on an error is logged and started again. The
/// CSR signing controller runs only with a <paramref name="signer"/>, which holds the cluster CA's key.
/// <paramref name="nodeLifecycle"/> times the node lifecycle controller (tests shorten upstream's grace periods);
/// <paramref name="nodeIpam"/> says which pod CIDRs nodes get. The root CA publisher runs only with the cluster CA's
/// certificate (<paramref name="rootCaPem"/>).
/// </summary>
public sealed partial class ControllerManager(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time, ICertificateSigner? signer = null,
    NodeLifecycleOptions? nodeLifecycle = null, NodeIpamOptions? nodeIpam = null, string? rootCaPem = null)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ControllerManager>();

    public Task RunAsync(CancellationToken cancellationToken) => Task.WhenAll(
        KeepRunningAsync("garbage collector", new GarbageCollector.GarbageCollector(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("deployment", new Deployments.DeploymentController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("replicaset", new ReplicaSets.ReplicaSetController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("serviceaccount", new ServiceAccounts.ServiceAccountsController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("endpoints", new Endpoints.EndpointsController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("podgc", new PodGc.PodGarbageCollector(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("nodelifecycle", new NodeLifecycleController(client, loggerFactory, time, nodeLifecycle).RunAsync, cancellationToken),
        KeepRunningAsync("nodeipam", new NodeIpamController(client, loggerFactory, time, nodeIpam).RunAsync, cancellationToken),
        KeepRunningAsync("taint-eviction-controller", new TaintEviction.TaintEvictionController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("namespace", new Namespaces.NamespaceController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("persistentvolume-binder", new Volumes.PersistentVolumeBinder(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("volume-protection", new Volumes.VolumeProtectionController(client, loggerFactory, time).RunAsync, cancellationToken),
        KeepRunningAsync("csrapproving", new CsrApprovingController(client, loggerFactory, time).RunAsync, cancellationToken),
        rootCaPem is null
            ? Task.CompletedTask
            : KeepRunningAsync("root-ca-cert-publisher", new RootCaPublisher.RootCaPublisher(client, rootCaPem, loggerFactory, time).RunAsync, cancellationToken),
        signer is null
            ? Task.CompletedTask
            : KeepRunningAsync("csrsigning", new CsrSigningController(client, signer, loggerFactory, time).RunAsync, cancellationToken));

    private async Task KeepRunningAsync(string name, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await run(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ControllerFailed(_logger, name, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3000, LogLevel.Error, "The {Controller} controller failed; starting it again")]
        public static partial void ControllerFailed(ILogger logger, string controller, Exception exception);
    }
}
