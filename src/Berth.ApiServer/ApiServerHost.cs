using System.Net;
using System.Security.Cryptography.X509Certificates;
using Berth.ApiServer.Bootstrap;
using Berth.ApiServer.Caching;
using Berth.ApiServer.CustomResources;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Http;
using Berth.ApiServer.Observability;
using Berth.ApiServer.OpenApi;
using Berth.ApiServer.Printing;
using Berth.ApiServer.Proxy;
using Berth.ApiServer.Rest;
using Berth.ApiServer.Security;
using Berth.ApiServer.Services;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.ApiServer;

/// <summary>
/// The Kubernetes API server: Kestrel over HTTPS (HTTP/2 and HTTP/1.1), client-certificate and bearer-token
/// authentication, discovery, and the REST verbs over the store. <see cref="StartAsync"/> returns once it
/// listens, with the cluster's credentials and kubeconfig written.
/// </summary>
public sealed partial class ApiServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WatchCaches _caches;
    private readonly Background _definitions;
    private readonly Background _repair;
    private readonly ClusterPki _pki;
    private readonly NodeAgents _agents;

    private ApiServerHost(WebApplication app, WatchCaches caches, Background definitions, Background repair, Uri url, string kubeconfigPath, ClusterPki pki,
        NodeAgents agents)
    {
        _app = app;
        _agents = agents;
        _caches = caches;
        _definitions = definitions;
        _repair = repair;
        _pki = pki;
        Url = url;
        KubeconfigPath = kubeconfigPath;
        CertificateAuthority = pki.Ca;
        ControllerManagerCertificate = pki.ControllerManagerClient;
        SchedulerCertificate = pki.SchedulerClient;
    }

    /// <summary>Where clients reach the server, e.g. https://127.0.0.1:6443.</summary>
    public Uri Url { get; }

    /// <summary>The admin kubeconfig: <c>&lt;data-dir&gt;/kubeconfig.yaml</c>.</summary>
    public string KubeconfigPath { get; }

    /// <summary>The cluster CA, which clients trust the server by.</summary>
    public X509Certificate2 CertificateAuthority { get; }

    /// <summary>The client certificate (with its key) the in-process controllers authenticate with.</summary>
    public X509Certificate2 ControllerManagerCertificate { get; }

    /// <summary>The client certificate (with its key) the in-process scheduler authenticates with.</summary>
    public X509Certificate2 SchedulerCertificate { get; }

    /// <summary>
    /// The cluster CA with its private key, for the certificate signing controller that runs in the same process (as
    /// upstream's kube-controller-manager holds the cluster signing key). Nothing else should need the key.
    /// </summary>
    public X509Certificate2 SigningAuthority => _pki.Ca;

    /// <summary>Credentials for an in-process node agent, issued by the cluster CA for <paramref name="nodeName"/>.</summary>
    public X509Certificate2 IssueNodeCertificate(string nodeName) => _pki.IssueNodeClient(nodeName);

    /// <exception cref="ArgumentException">The options are not valid (<see cref="ApiServerOptions.Validate"/> says why).</exception>
    public static async Task<ApiServerHost> StartAsync(ApiServerOptions options, IStore store, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var network = ServiceNetwork.From(options);
        var serverDir = Path.Combine(options.DataDir, "server");
        // Pods reach the server as the kubernetes Service: its address and names are the serving certificate's too.
        var pki = ClusterPki.LoadOrCreate(Path.Combine(serverDir, "tls"), [.. options.TlsSans, .. network.KubernetesNames]);
        var tokens = Tokens.LoadOrCreate(serverDir, pki.Ca);
        await SystemNamespaces.EnsureAsync(store, TimeProvider.System, cancellationToken);
        await SystemPriorityClasses.EnsureAsync(store, TimeProvider.System, cancellationToken);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Bodies are measured by the handlers, which answer 413 as a Status.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
            // As kube-apiserver: 250 concurrent streams per HTTP/2 connection, so a client's informers share one.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 250;
            kestrel.Listen(IPAddress.Parse(options.BindAddress), options.HttpsPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = pki.Serving;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    // Any certificate may be presented; the authenticator decides whether this cluster's CA issued it.
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            });
        });

        var app = builder.Build();
        var table = ResourceTable.BuiltIn;
        var caches = new WatchCaches(table, store, options.WatchCacheWindow, TimeProvider.System, loggerFactory.CreateLogger<WatchCaches>());
        var served = new ServedResources(table, caches);
        var serviceAccountTokens = ServiceAccountTokens.LoadOrCreate(Path.Combine(serverDir, "tls"), TimeProvider.System);
        var serviceAccounts = table.Find("", "v1", "serviceaccounts")!;
        var authenticator = new Authenticator(pki, tokens, serviceAccountTokens,
            (ns, name) => caches.For(serviceAccounts).Get(serviceAccounts.StorageKey(ns, name))?.Parse()["metadata"]?["uid"]?.GetValue<string>());
        var agents = new NodeAgents(pki.AgentClient);
        var serviceIps = new ServiceIpAllocator(store, network.Cidr);
        var nodePorts = new NodePortAllocator(store, network.NodePorts);
        var allocations = new ServiceAllocations(serviceIps, nodePorts, TimeProvider.System);
        var metrics = new RequestMetrics();
        var handler = new ResourceHandler(store, caches, served, new Printers(), serviceAccountTokens, agents, options, allocations, metrics, TimeProvider.System);
        var logger = loggerFactory.CreateLogger<ApiServerHost>();
        var endpoints = new ApiEndpoints(served, new OpenApiDocuments(table, served), handler, metrics, pki.CaPem);

        app.Use(async (context, next) =>
        {
            var started = TimeProvider.System.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                if (context.Features.Get<RequestLabels>() is { } labels)
                    metrics.Record(labels, context.Response.StatusCode, TimeProvider.System.GetElapsedTime(started));
            }
        });
        app.Use(async (context, next) =>
        {
            try
            {
                if (!ApiEndpoints.IsPublic(context.Request.Path))
                {
                    // Who asked travels with the request, for authorization and for what a create records (a CSR's requester).
                    if (authenticator.Authenticate(context.Connection.ClientCertificate, context.Request.Headers.Authorization) is not { } user)
                    {
                        await ApiResponse.WriteStatusAsync(context, ApiStatus.Unauthorized());
                        return;
                    }
                    context.Features.Set(user);
                }
                await next(context);
            }
            catch (ApiException e) when (!context.Response.HasStarted)
            {
                await ApiResponse.WriteStatusAsync(context, e.Status);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await ApiResponse.WriteStatusAsync(context, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? ApiStatus.TooLarge(options.MaxRequestBodyBytes)
                    : ApiStatus.BadRequest(e.Message));
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                Log.RequestFailed(logger, context.Request.Method, context.Request.Path, e);
                await ApiResponse.WriteStatusAsync(context, ApiStatus.Internal(e.Message));
            }
        });
        app.Run(endpoints.HandleAsync);

        var definitionController = new DefinitionController(store, served, loggerFactory.CreateLogger<DefinitionController>(), TimeProvider.System);
        var definitions = Background.Run(definitionController.RunAsync);
        await definitionController.Synced.WaitAsync(cancellationToken);
        await caches.Ready.WaitAsync(cancellationToken);
        var repair = new AllocationRepair(store, serviceIps, nodePorts, TimeProvider.System, loggerFactory.CreateLogger<AllocationRepair>());
        await repair.RepairAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        var port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).First().Port;
        await new SystemServices(store, allocations, network, TimeProvider.System, loggerFactory.CreateLogger<SystemServices>())
            .EnsureAsync(SystemServices.AdvertisedAddress(options.BindAddress), port, cancellationToken);
        var repairing = Background.Run(repair.RunAsync);
        var host = options.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.BindAddress;
        var url = new Uri($"https://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
        var kubeconfig = Path.Combine(options.DataDir, "kubeconfig.yaml");
        Kubeconfig.Write(kubeconfig, url.ToString().TrimEnd('/'), pki);
        Log.Listening(logger, url);
        return new ApiServerHost(app, caches, definitions, repairing, url, kubeconfig, pki, agents);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _definitions.DisposeAsync();
        await _repair.DisposeAsync();
        await _caches.DisposeAsync();
        _agents.Dispose();
    }

    /// <summary>A loop the server runs beside its requests, stopped with it.</summary>
    private sealed class Background : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stopping = new();
        private Task _loop = Task.CompletedTask;

        public static Background Run(Func<CancellationToken, Task> loop)
        {
            var background = new Background();
            background._loop = Task.Run(() => loop(background._stopping.Token));
            return background;
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            await _loop;
            _stopping.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "API server listening on {Url}")]
        public static partial void Listening(ILogger logger, Uri url);

        [LoggerMessage(2002, LogLevel.Error, "{Method} {Path} failed with an unexpected error; answered 500")]
        public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);
    }
}
