using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Core.Networking;

namespace Berth.Agent.Network;

/// <summary>
/// Publishes the node's own cluster DNS server as an endpoint of <c>kube-system/kube-dns</c>: an EndpointSlice
/// <c>kube-dns-&lt;node&gt;</c>, owned by the Node so that it goes with it, whose one endpoint is the node's bridge
/// address. The Service's <c>internalTrafficPolicy: Local</c> then sends each node's pods to their own node's server.
/// Publishing again when nothing changed writes nothing, so the agent can keep it published by doing so now and then.
/// </summary>
internal static class NodeDnsEndpoint
{
    public const string ManagedBy = "berth-agent";

    public static async Task PublishAsync(ApiClient client, string nodeName, string address, int port, CancellationToken cancellationToken)
    {
        var name = $"kube-dns-{nodeName}";
        var path = $"/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/{name}";
        while (true)
        {
            var node = await client.GetAsync($"/api/v1/nodes/{nodeName}", cancellationToken);
            node.ThrowIfFailed($"reading node {nodeName}");
            var slice = Slice(name, nodeName, node.Body!["metadata"]!["uid"]!.GetValue<string>(), address, port);
            var current = await client.GetAsync(path, cancellationToken);
            if (current.IsNotFound)
            {
                var created = await client.SendAsync(HttpMethod.Post, "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices", slice, cancellationToken);
                if (created.IsConflict)
                    continue;
                created.ThrowIfFailed($"creating endpointslice kube-system/{name}");
                return;
            }
            current.ThrowIfFailed($"reading endpointslice kube-system/{name}");
            if (Same(current.Body!, slice))
                return;
            slice["metadata"]!["resourceVersion"] = current.Body!["metadata"]!["resourceVersion"]!.GetValue<string>();
            var updated = await client.PutAsync(path, slice, cancellationToken);
            if (updated.IsConflict)
                continue;
            updated.ThrowIfFailed($"updating endpointslice kube-system/{name}");
            return;
        }
    }

    /// <summary>Whether the slice as stored already says what <paramref name="wanted"/> says.</summary>
    private static bool Same(JsonNode current, JsonObject wanted) =>
        JsonNode.DeepEquals(current["endpoints"], wanted["endpoints"]) && JsonNode.DeepEquals(current["ports"], wanted["ports"])
        && JsonNode.DeepEquals(current["metadata"]?["ownerReferences"]?[0]?["uid"], wanted["metadata"]!["ownerReferences"]![0]!["uid"])
        && JsonNode.DeepEquals(current["metadata"]?["labels"], wanted["metadata"]!["labels"]);

    private static JsonObject Slice(string name, string nodeName, string nodeUid, string address, int port) => new()
    {
        ["apiVersion"] = "discovery.k8s.io/v1",
        ["kind"] = "EndpointSlice",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "kube-system",
            ["labels"] = new JsonObject
            {
                [EndpointSliceLabels.ServiceName] = "kube-dns",
                [EndpointSliceLabels.ManagedBy] = ManagedBy,
            },
            ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = nodeName, ["uid"] = nodeUid }),
        },
        ["addressType"] = "IPv4",
        ["endpoints"] = new JsonArray(new JsonObject
        {
            ["addresses"] = new JsonArray(address),
            ["conditions"] = new JsonObject { ["ready"] = true, ["serving"] = true, ["terminating"] = false },
            ["nodeName"] = nodeName,
        }),
        ["ports"] = new JsonArray(
            new JsonObject { ["name"] = "dns", ["protocol"] = "UDP", ["port"] = port },
            new JsonObject { ["name"] = "dns-tcp", ["protocol"] = "TCP", ["port"] = port }),
    };
}
