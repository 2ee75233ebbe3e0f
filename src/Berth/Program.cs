using System.CommandLine;
using Berth.Commands;

var root = new RootCommand("Berth: a lightweight Kubernetes-compatible container orchestrator.")
{
    ServerCommand.Create(),
    AgentCommand.Create(),
    VersionCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
