using System.CommandLine;
using System.Text.RegularExpressions;
using Berth.Agent;
using Berth.Agent.Credentials;
using Berth.Agent.Nodes;
using Berth.Agent.Pods;
using Berth.Agent.Network;
using Berth.Client;
using Berth.Core.Security;
using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// <c>berth agent</c>: joins a node to a cluster from another process or machine with the join token
/// (<see cref="TlsBootstrap"/>; credentials are kept in <c>&lt;data-dir&gt;/agent/</c> and reused on the next start),
/// then runs a node agent for it, as the server runs its own node, until stopped (Ctrl+C or SIGTERM).
/// </summary>
internal static partial class AgentCommand
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(5);

    public static Command Create()
    {
        var server = new Option<string>("--server")
        {
            Description = "The server to join: https://HOST:PORT.",
            Required = true,
        };
        var token = new Option<string?>("--token")
        {
            Description = "The join token: the content of <data-dir>/server/token on the server.",
        };
        var tokenFile = new Option<FileInfo?>("--token-file")
        {
            Description = "A file holding the join token (instead of --token).",
        };
        var nodeName = new Option<string>("--node-name")
        {
            Description = "The node's name (default: this machine's host name, lowercased).",
            DefaultValueFactory = _ => System.Net.Dns.GetHostName().ToLowerInvariant(),
        };
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "Where the agent keeps its state (its credentials in agent/).",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.UserName == "root" ? "/var/lib/berth" : ".berth"),
        };
        var clusterCidr = new Option<string>("--cluster-cidr")
        {
            Description = "The cluster's pod network, as the server's --cluster-cidr (blackholed on this node and routed to from its pods).",
            DefaultValueFactory = _ => "10.42.0.0/16",
        };
        var runtime = new RuntimeFlags();
        var command = new Command("agent", "Join a node to a Berth server with the join token and run it.") { server, token, tokenFile, nodeName, dataDir, clusterCidr };
        runtime.AddTo(command);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(token) is null) == (result.GetValue(tokenFile) is null))
                result.AddError("give the join token with either --token or --token-file");
            if (result.GetValue(server) is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
                result.AddError($"--server must be an https:// URL, not \"{url}\"");
            if (result.GetValue(clusterCidr) is { } cidr && !PodNetworkSettings.ValidCidr(cidr))
                result.AddError($"--cluster-cidr \"{cidr}\" is not an IPv4 CIDR");
            if (result.GetValue(nodeName) is { } name && (name.Length > 253 || !NodeNamePattern().IsMatch(name)))
                result.AddError($"--node-name \"{name}\" is not a valid node name (lowercase letters, digits, '-' and '.')");
        });
        command.SetAction((parse, cancellationToken) => RunAsync(
            new AgentOptions(new Uri(parse.GetValue(server)!), parse.GetValue(token), parse.GetValue(tokenFile), parse.GetValue(nodeName)!,
                parse.GetValue(dataDir)!, parse.GetValue(clusterCidr)!, runtime.Read(parse)),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        if (options.TokenFile is { Exists: false } missing)
            return await FailAsync($"--token-file {missing.FullName} does not exist", 2);
        var tokenText = options.Token ?? File.ReadAllText(options.TokenFile!.FullName);
        if (JoinToken.Parse(tokenText) is not { } token)
            return await FailAsync("that is not a join token; use the token in <data-dir>/server/token on the server", 2);
        if (token.CaHash is null)
        {
            return await FailAsync("the token carries no CA hash (K10<hash>::server:<secret>), so the server cannot be verified; " +
                "use the full token in <data-dir>/server/token on the server", 2);
        }
        var (server, nodeName) = (options.Server, options.NodeName);

        using var loggerFactory = DaemonLogging.Create();
        var agentDir = Path.Combine(options.DataDir.FullName, "agent");
        NodeCredentials credentials;
        try
        {
            credentials = await CredentialsAsync(server, token, nodeName, agentDir, loggerFactory, cancellationToken);
        }
        catch (JoinException e)
        {
            return await FailAsync(e.Message, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await FailAsync($"cannot keep the node's credentials in {agentDir}: {e.Message}", 1);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 1;
        }

        using var client = ApiClient.Create(server, credentials.Authority, credentials.Client);
        NodeRuntime runtime;
        try
        {
            runtime = await options.Runtime.StartAsync(agentDir, options.ClusterCidr, loggerFactory, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return await FailAsync($"cannot run containers on this node: {e.Message} (--runtime simulated runs pods without them)", 1);
        }
        await using var _ = runtime;
        var node = LocalMachine.Describe(nodeName, new Dictionary<string, string>(), runtime.Runtime.Version, options.DataDir.FullName, options.Runtime.AgentPort,
            options.Runtime.Reserved, options.Runtime.EvictionHard);
        var pods = new PodLifecycle(client, runtime.Runtime, runtime.Handlers, nodeName, node.InternalIp, TimeProvider.System, loggerFactory, volumesDir: runtime.VolumesDir);
        var agent = new NodeAgent(client, node, NodeAgentTiming.Default, TimeProvider.System, loggerFactory.CreateLogger<NodeAgent>(), pods, runtime.Network);
        Console.WriteLine($"berth agent: running node {nodeName} on {server} as system:node:{nodeName} (credentials in {agentDir}).");
        await Task.WhenAll(agent.RunAsync(cancellationToken), runtime.ServeAsync(node, credentials.Authority, loggerFactory, cancellationToken),
            runtime.ServicesAsync(client, node, loggerFactory, cancellationToken),
            runtime.EvictAsync(client, nodeName, options.DataDir.FullName, options.Runtime.EvictionHard, loggerFactory, cancellationToken));
        return 0;
    }

    /// <summary>The credentials saved by an earlier run, if still good for this server and node; else new ones, joined with the token and saved.</summary>
    private static async Task<NodeCredentials> CredentialsAsync(Uri server, JoinToken token, string nodeName, string agentDir,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (NodeCredentials.Load(agentDir, server, nodeName, token, TimeProvider.System, out var why) is { } saved)
            return saved;
        if (why is not null)
            Console.WriteLine($"berth agent: not reusing the credentials in {agentDir}: {why}; joining again.");
        var joined = await new TlsBootstrap(server, token, nodeName, loggerFactory.CreateLogger<TlsBootstrap>()).JoinAsync(JoinTimeout, cancellationToken);
        joined.Save(agentDir);
        return joined;
    }

    private static async Task<int> FailAsync(string message, int exitCode)
    {
        await Console.Error.WriteLineAsync($"berth agent: {message}");
        return exitCode;
    }

    /// <summary>The flags, validated by the command's parser.</summary>
    private sealed record AgentOptions(Uri Server, string? Token, FileInfo? TokenFile, string NodeName, DirectoryInfo DataDir, string ClusterCidr, NodeRuntimeChoice Runtime);

    /// <summary>An RFC 1123 subdomain, as node names must be.</summary>
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex NodeNamePattern();
}
