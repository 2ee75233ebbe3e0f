using System.Text;
using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// The pod's <c>/etc/hosts</c>, as upstream's kubelet manages it: localhost and the pod's own name at its IP (its
/// fully qualified name first when it has a subdomain), or the node's file for a pod on the host's network, then the
/// pod's <c>hostAliases</c>. One file per pod under its folder, rewritten whenever a container is made and mounted
/// read-write at <c>/etc/hosts</c> unless the container mounts something there itself.
/// </summary>
internal static class HostsFile
{
    public const string ContainerPath = "/etc/hosts";

    /// <summary>The cluster's DNS domain, which names a pod with a subdomain.</summary>
    public const string ClusterDomain = "cluster.local";

    private const string NodeHostsFile = "/etc/hosts";

    /// <summary>Writes the pod's file and gives its mount, or null when the container mounts its own at /etc/hosts.</summary>
    public static ContainerMount? Prepare(string podsDir, string uid, JsonObject pod, string podIp, IEnumerable<ContainerMount> mounts)
    {
        if (mounts.Any(m => m.ContainerPath.TrimEnd('/') == ContainerPath))
            return null;
        var dir = Directory.CreateDirectory(Path.Combine(podsDir, uid)).FullName;
        var file = Path.Combine(dir, "etc-hosts");
        File.WriteAllText(file, Content(pod, podIp, () => File.ReadAllText(NodeHostsFile)));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return new ContainerMount(ContainerPath, file, ReadOnly: false);
    }

    /// <summary>What the file holds for the pod at <paramref name="podIp"/>; the node's own file is read only for host-network pods.</summary>
    public static string Content(JsonObject pod, string podIp, Func<string> nodeHosts)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var text = new StringBuilder();
        if (spec["hostNetwork"]?.GetValue<bool>() == true)
        {
            text.Append("# Kubernetes-managed hosts file (host network).\n");
            text.Append(nodeHosts());
            if (text[^1] != '\n')
                text.Append('\n');
        }
        else
        {
            text.Append("# Kubernetes-managed hosts file.\n");
            text.Append("127.0.0.1\tlocalhost\n");
            text.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
            text.Append("fe00::0\tip6-localnet\n");
            text.Append("fe00::0\tip6-mcastprefix\n");
            text.Append("fe00::1\tip6-allnodes\n");
            text.Append("fe00::2\tip6-allrouters\n");
            if (podIp.Length > 0)
                text.Append(podIp).Append('\t').Append(OwnNames(pod, spec)).Append('\n');
        }
        var aliases = (spec["hostAliases"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (aliases.Count > 0)
        {
            text.Append("\n# Entries added by HostAliases.\n");
            foreach (var alias in aliases)
            {
                var names = (alias["hostnames"] as JsonArray ?? []).Select(n => n?.ToString()).Where(n => !string.IsNullOrEmpty(n));
                text.Append(alias["ip"]?.ToString()).Append('\t').AppendJoin('\t', names).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>The pod's hostname, after its fully qualified name when it names a subdomain.</summary>
    private static string OwnNames(JsonObject pod, JsonObject spec)
    {
        var hostname = PodHostname.Of(pod["metadata"]?["name"]?.ToString() ?? "", spec);
        if (spec["subdomain"]?.ToString() is not { Length: > 0 } subdomain)
            return hostname;
        var ns = pod["metadata"]?["namespace"]?.ToString() ?? "default";
        return $"{hostname}.{subdomain}.{ns}.svc.{ClusterDomain}\t{hostname}";
    }
}
