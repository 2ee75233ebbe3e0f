using System.Text.Json.Nodes;
using Berth.Agent.Pods.Volumes;

namespace Berth.Agent.Tests;

public sealed class HostsFileTests
{
    [Fact]
    public void Content_OfAPodOnTheHostsNetwork_IsTheNodesFileThenTheAliases()
    {
        var pod = JsonNode.Parse("""
            {"metadata": {"name": "agent", "namespace": "kube-system"},
             "spec": {"hostNetwork": true, "hostAliases": [{"ip": "10.0.0.9", "hostnames": ["db"]}]}}
            """)!.AsObject();

        var content = HostsFile.Content(pod, "", () => "127.0.0.1 localhost\n127.0.1.1 node-1");

        Assert.Equal("# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n127.0.1.1 node-1\n"
            + "\n# Entries added by HostAliases.\n10.0.0.9\tdb\n", content);
    }

    [Fact]
    public void Content_OfAPodWithALongName_NamesItByItsHostname()
    {
        var name = new string('a', 62) + "-b";
        var pod = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" }, ["spec"] = new JsonObject() };

        var content = HostsFile.Content(pod, "10.42.0.7", () => throw new InvalidOperationException("a pod network's file is not the node's"));

        Assert.EndsWith($"fe00::2\tip6-allrouters\n10.42.0.7\t{new string('a', 62)}\n", content);
    }
}
