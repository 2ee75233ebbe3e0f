using System.CommandLine;
using Berth.Commands;

AgentYoungGeneration.Apply(args);
var root = new RootCommand("Berth: a lightweight Kubernetes-compatible container orchestrator.")
{
    ServerCommand.Create(),
    AgentCommand.Create(),
    CleanupCommand.Create(),
    ImagesCommand.Create(),
    VersionCommand.Create(),
};
// On SIGTERM or Ctrl+C a server or agent stops its parts in order (its containerd last); give it the time to.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
