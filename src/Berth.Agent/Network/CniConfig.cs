using System.Text.Json.Nodes;
using Berth.Core.Networking;

namespace Berth.Agent.Network;

/// <summary>
/// The CNI configuration for a node's pods, from its pod CIDR: a bridge with the CIDR's first address as gateway,
/// addresses from host-local IPAM, routes for the cluster's pod and service CIDRs through the gateway (and no default
/// route, so pods reach nothing outside the cluster), portmap for host ports, loopback.
/// </summary>
public static class CniConfig
{
    public const string FileName = "10-berth.conflist";

    public static string Render(PodNetworkSettings settings, Ipv4Cidr podCidr, string ipamDir)
    {
        var config = new JsonObject
        {
            ["cniVersion"] = "0.4.0",
            ["name"] = "berth",
            ["plugins"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "bridge",
                    ["bridge"] = settings.Bridge,
                    ["isGateway"] = true,
                    ["isDefaultGateway"] = false,
                    ["ipMasq"] = false,
                    ["hairpinMode"] = true,
                    ["ipam"] = new JsonObject
                    {
                        ["type"] = "host-local",
                        ["dataDir"] = ipamDir,
                        ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = podCidr.ToString(), ["gateway"] = podCidr.Address(1) })),
                        ["routes"] = new JsonArray(new JsonObject { ["dst"] = settings.ClusterCidr }, new JsonObject { ["dst"] = settings.ServiceCidr }),
                    },
                },
                new JsonObject { ["type"] = "portmap", ["capabilities"] = new JsonObject { ["portMappings"] = true } },
                new JsonObject { ["type"] = "loopback" }),
        };
        return config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes the configuration where containerd looks for it, replacing the file at once (containerd watches the folder).</summary>
    public static void Write(string confDir, PodNetworkSettings settings, Ipv4Cidr podCidr, string ipamDir)
    {
        Directory.CreateDirectory(confDir);
        var path = Path.Combine(confDir, FileName);
        var text = Render(settings, podCidr, ipamDir);
        if (File.Exists(path) && File.ReadAllText(path) == text)
            return;
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
