using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Berth.Agent.Runtime;
using Berth.Core.Networking;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Streaming;

/// <summary>
/// The agent's own HTTPS endpoint (upstream's kubelet port, 10250 by default), which only the API server may use: a
/// client certificate from the cluster CA named <see cref="ApiServerClientName"/> is required. It serves
/// <c>GET /containerLogs/{namespace}/{pod}/{container}</c> (the API server's <c>pods/log</c>),
/// <c>/exec/{namespace}/{pod}/{container}</c>, <c>/attach/…</c> and <c>/portForward/{namespace}/{pod}</c> (upgraded
/// to the streaming protocols), <c>/stats/summary</c> (the node's and its pods' usage) and <c>/healthz</c>, over a small HTTP/1.1 of its own (one request per connection,
/// chunked bodies). Its serving certificate is made at start; like upstream's API server by default, Berth's does not
/// check it.
/// </summary>
public sealed partial class AgentEndpoint(
    IPAddress address, int port, X509Certificate2 clusterCa, ContainerLogs logs, ContainerStreams streams, Func<JsonObject> summary, TimeProvider time, ILogger logger)
{
    /// <summary>The common name of the certificate the API server presents to agents.</summary>
    public const string ApiServerClientName = "kube-apiserver-kubelet-client";

    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private readonly X509Certificate2 _serving = SelfSigned(address);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var listener = new TcpListener(address, port);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            Log.CannotListen(logger, address.ToString(), port, e.Message);
            return;
        }
        Log.Listening(logger, address.ToString(), port);
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var owned = client;
        try
        {
            await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            headTimeout.CancelAfter(HeadTimeout);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _serving,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 presented && IsApiServer(presented),
            }, headTimeout.Token);
            var head = await HttpHead.ReadAsync(tls, headTimeout.Token);
            if (head is null)
                return;
            await RouteAsync(tls, head, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            Log.ConnectionEnded(logger, e.Message);
        }
        catch (Exception e)
        {
            Log.RequestFailed(logger, e);
        }
    }

    private async Task RouteAsync(Stream stream, HttpHead head, CancellationToken cancellationToken)
    {
        var method = head.First;
        var (path, query) = Split(head.Second);
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        switch (method, parts)
        {
            case ("GET", ["healthz"]):
                await PlainResponses.RespondAsync(stream, 200, "ok", cancellationToken);
                break;
            case ("GET", ["stats", "summary"]):
                await PlainResponses.RespondAsync(stream, 200, summary().ToJsonString(), cancellationToken, "application/json");
                break;
            case ("GET", ["containerLogs", var ns, var pod, var container]):
                var options = LogOptions.Parse(query.ToDictionary(q => q.Key, q => q.Last(), StringComparer.Ordinal), time.GetUtcNow());
                var (found, code, error) = await logs.FindAsync(ns, pod, container, options.Previous, cancellationToken);
                if (found is null)
                {
                    await PlainResponses.RespondAsync(stream, code, error, cancellationToken);
                    return;
                }
                await PlainResponses.WriteChunkedHeadAsync(stream, 200, cancellationToken);
                var body = new ChunkedWriteStream(stream);
                await logs.WriteAsync(found, options, body, cancellationToken);
                await body.EndAsync(cancellationToken);
                break;
            case ("GET" or "POST", ["exec", var ns, var pod, var container]):
                await streams.ServeRemoteCommandAsync(stream, head, ns, pod, container, [.. query["command"]], Streams(query), cancellationToken);
                break;
            case ("GET" or "POST", ["attach", var ns, var pod, var container]):
                await streams.ServeRemoteCommandAsync(stream, head, ns, pod, container, null, Streams(query), cancellationToken);
                break;
            case ("GET" or "POST", ["portForward", var ns, var pod]):
                await streams.ServePortForwardAsync(stream, head, ns, pod, [.. query["port"]], cancellationToken);
                break;
            default:
                await PlainResponses.RespondAsync(stream, 404, $"{method} {path}: not found", cancellationToken);
                break;
        }
    }

    /// <summary>Whether the client is the API server: its certificate comes from the cluster CA and carries its name.</summary>
    private bool IsApiServer(X509Certificate2 presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(clusterCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented) && presented.GetNameInfo(X509NameType.SimpleName, forIssuer: false) == ApiServerClientName;
    }

    /// <summary>A request target's path and its query, every value of each parameter in order.</summary>
    private static (string Path, ILookup<string, string> Query) Split(string target)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
            return (target, Array.Empty<KeyValuePair<string, string>>().ToLookup(p => p.Key, p => p.Value));
        var pairs = target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            return new KeyValuePair<string, string>(Unescape(equals < 0 ? pair : pair[..equals]), equals < 0 ? "" : Unescape(pair[(equals + 1)..]));
        });
        return (target[..question], pairs.ToLookup(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

    private static string Unescape(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    /// <summary>The streams an exec or attach asks for (PodExecOptions' stdin, stdout, stderr and tty).</summary>
    private static StreamOptions Streams(ILookup<string, string> query)
    {
        bool Flag(string name) => query[name].LastOrDefault() is "true" or "1";
        return new StreamOptions(Flag("stdin"), Flag("stdout"), Flag("stderr"), Flag("tty"));
    }

    private static X509Certificate2 SelfSigned(IPAddress address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=berth-agent", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    private static partial class Log
    {
        [LoggerMessage(4400, LogLevel.Information, "Agent endpoint listening on https://{Address}:{Port}")]
        public static partial void Listening(ILogger logger, string address, int port);

        [LoggerMessage(4402, LogLevel.Error, "Agent endpoint cannot listen on {Address}:{Port}: {Reason}; pods' logs cannot be read (choose another --agent-port)")]
        public static partial void CannotListen(ILogger logger, string address, int port, string reason);

        [LoggerMessage(4403, LogLevel.Error, "Agent endpoint request failed")]
        public static partial void RequestFailed(ILogger logger, Exception exception);

        [LoggerMessage(4401, LogLevel.Debug, "Agent endpoint connection ended: {Reason}")]
        public static partial void ConnectionEnded(ILogger logger, string reason);
    }
}
