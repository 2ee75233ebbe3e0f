using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Microsoft.Extensions.Logging;

namespace Berth.Agent.Nodes;

/// <summary>
/// What the API server shows of a node (one watched by name), or of every node (hollow nodes share one watch): its
/// Ready status, which an agent that finds it differs from what it would report (the node lifecycle controller marked
/// the node Unknown, say) reports again at once instead of at the next five-minute report, as upstream's kubelet does
/// by comparing with the Node it watches; the pod CIDR node IPAM gave it; and the whole Node, which admission reads.
/// </summary>
public sealed class NodeWatch
{
    private static readonly ApiResource Nodes = new("", "v1", "Node", "nodes", Namespaced: false, ["get", "list", "watch"]);

    private readonly Informer<ShownNode> _informer;

    /// <summary>Follows the node named <paramref name="nodeName"/>, or with null every node.</summary>
    public NodeWatch(ApiClient client, string? nodeName, ILogger logger) =>
        _informer = new Informer<ShownNode>(client, Nodes, ShownNode.Read, logger, nodeName is null ? null : $"metadata.name={nodeName}");

    public Task RunAsync(CancellationToken cancellationToken) => _informer.RunAsync(cancellationToken);

    /// <summary>The node's Ready status as last seen (True, False, Unknown), null if not seen or never posted.</summary>
    public string? ReadyOf(string nodeName) => _informer.Get(null, nodeName)?.Ready;

    /// <summary>The pod CIDR node IPAM gave the node (<c>spec.podCIDR</c>), null until it has one.</summary>
    public string? PodCidrOf(string nodeName) => _informer.Get(null, nodeName)?.PodCidr;

    /// <summary>The node as last seen, parsed afresh; null if not seen.</summary>
    public JsonObject? NodeOf(string nodeName) => _informer.Get(null, nodeName) is { } shown ? JsonNode.Parse(shown.Json)!.AsObject() : null;

    /// <summary>The node's Ready status and pod CIDR, and the node itself as JSON text (a fraction of a parsed tree's size).</summary>
    private sealed record ShownNode(string Name, string? Ready, string? PodCidr, byte[] Json)
    {
        public static ShownNode Read(JsonElement node)
        {
            string? ready = null;
            if (node.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions) && conditions.ValueKind == JsonValueKind.Array)
            {
                foreach (var condition in conditions.EnumerateArray())
                {
                    if (condition.TryGetProperty("type", out var type) && type.GetString() == "Ready" && condition.TryGetProperty("status", out var s))
                        ready = s.GetString();
                }
            }
            var podCidr = node.TryGetProperty("spec", out var spec) && spec.TryGetProperty("podCIDR", out var cidr) ? cidr.GetString() : null;
            return new ShownNode(node.GetProperty("metadata").GetProperty("name").GetString()!, ready, podCidr, JsonMarshal.GetRawUtf8Value(node).ToArray());
        }
    }
}
