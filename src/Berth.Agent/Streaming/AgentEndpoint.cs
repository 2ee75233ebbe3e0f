using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Streaming;

/// <summary>
/// The agent's own HTTPS endpoint (upstream's kubelet port, 10250 by default), which only the API server may use: a
/// client certificate from the cluster CA named <see cref="ApiServerClientName"/> is required. It serves
/// <c>GET /containerLogs/{namespace}/{pod}/{container}</c> (the API server's <c>pods/log</c>) and <c>/healthz</c>, over
/// a small HTTP/1.1 of its own (one request per connection, chunked bodies). Its serving certificate is made at
/// start; like upstream's API server by default, Berth's does not check it.
/// </summary>
public sealed partial class AgentEndpoint(IPAddress address, int port, X509Certificate2 clusterCa, ContainerLogs logs, TimeProvider time, ILogger logger)
{
    /// <summary>The common name of the certificate the API server presents to agents.</summary>
    public const string ApiServerClientName = "kube-apiserver-kubelet-client";

    private const int MaxHeadBytes = 16 * 1024;
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
            var head = await ReadHeadAsync(tls, headTimeout.Token);
            if (head is null)
                return;
            await RouteAsync(tls, head.Value.Method, head.Value.Target, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            Log.ConnectionEnded(logger, e.Message);
        }
    }

    private async Task RouteAsync(Stream stream, string method, string target, CancellationToken cancellationToken)
    {
        var (path, query) = Split(target);
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        switch (method, parts)
        {
            case ("GET", ["healthz"]):
                await RespondAsync(stream, 200, "ok", cancellationToken);
                break;
            case ("GET", ["containerLogs", var ns, var pod, var container]):
                var options = LogOptions.Parse(query, time.GetUtcNow());
                var (found, code, error) = await logs.FindAsync(ns, pod, container, options.Previous, cancellationToken);
                if (found is null)
                {
                    await RespondAsync(stream, code, error, cancellationToken);
                    return;
                }
                await WriteHeadAsync(stream, 200, "text/plain; charset=utf-8", chunked: true, cancellationToken);
                var body = new ChunkedWriteStream(stream);
                await logs.WriteAsync(found, options, body, cancellationToken);
                await body.EndAsync(cancellationToken);
                break;
            default:
                await RespondAsync(stream, 404, $"{method} {path}: not found", cancellationToken);
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

    private static async Task<(string Method, string Target)?> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < MaxHeadBytes)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
                return null;
            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                var requestLine = Encoding.ASCII.GetString([.. head]).Split("\r\n")[0].Split(' ');
                return requestLine.Length == 3 ? (requestLine[0], requestLine[1]) : null;
            }
        }
        return null;
    }

    private static (string Path, Dictionary<string, string> Query) Split(string target)
    {
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (question < 0)
            return (target, query);
        foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            query[Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals])] = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
        }
        return (target[..question], query);
    }

    private static async Task RespondAsync(Stream stream, int code, string text, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(text);
        await WriteHeadAsync(stream, code, "text/plain; charset=utf-8", chunked: false, cancellationToken, body.Length);
        await stream.WriteAsync(body, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static async Task WriteHeadAsync(Stream stream, int code, string contentType, bool chunked, CancellationToken cancellationToken, long length = 0)
    {
        var reason = code switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Error" };
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(code).Append(' ').Append(reason).Append("\r\n")
            .Append("Content-Type: ").Append(contentType).Append("\r\n")
            .Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {length}\r\n")
            .Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken);
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

        [LoggerMessage(4401, LogLevel.Debug, "Agent endpoint connection ended: {Reason}")]
        public static partial void ConnectionEnded(ILogger logger, string reason);
    }
}
