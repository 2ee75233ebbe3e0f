using System.CommandLine;
using System.Reflection;

namespace Berth.Commands;

internal static class VersionCommand
{
    /// <summary>The Kubernetes API version Berth is compatible with (ARCHITECTURE.md 3.1).</summary>
    public const string KubernetesVersion = "v1.33.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the Berth version and the Kubernetes API version it serves.");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"berth {version.Split('+')[0]} (Kubernetes {KubernetesVersion})");
        });
        return command;
    }
}
