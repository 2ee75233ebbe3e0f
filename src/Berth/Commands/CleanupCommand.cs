using System.CommandLine;
using Berth.Agent.Cri;
using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// <c>berth cleanup</c>: after a server or agent has stopped, takes down what its node left running on purpose (pods
/// outlive the agent, as they do upstream): every pod, its containerd and shims, mounts, and the pod network.
/// </summary>
internal static class CleanupCommand
{
    public static Command Create()
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "The data directory of the stopped server or agent whose node to clean up.",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.UserName == "root" ? "/var/lib/berth" : ".berth"),
        };
        var command = new Command("cleanup", "Stop and remove every pod of a stopped node, its containerd and its pod network, as a reboot would.") { dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var agentDir = Path.Combine(parse.GetValue(dataDir)!.FullName, "agent");
            if (!Directory.Exists(agentDir))
            {
                await Console.Error.WriteLineAsync($"berth cleanup: {agentDir} does not exist: no node has run from that data directory");
                return 1;
            }
            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter("Microsoft", LogLevel.Warning));
            try
            {
                await NodeCleanup.CleanAsync(agentDir, loggers, cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or Grpc.Core.RpcException or IOException)
            {
                await Console.Error.WriteLineAsync($"berth cleanup: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
