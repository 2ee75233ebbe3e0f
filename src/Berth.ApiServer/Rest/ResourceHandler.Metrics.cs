using System.Globalization;
using System.Text.Json.Nodes;
using Berth.ApiServer.Http;
using Berth.ApiServer.Proxy;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Core.Selectors;
using Berth.Core.Serialization;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private static readonly ResourceInfo Pods = ResourceTable.BuiltIn.Find("", "v1", "pods")!;
    private static readonly TimeSpan SummaryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>metrics.k8s.io/v1beta1</c> NodeMetrics and PodMetrics, as upstream's metrics-server serves them (what
    /// <c>kubectl top</c> reads): read from the Summary API of every node's agent when asked, CPU as a rate over the
    /// agent's last reading period and memory as the working set. Nodes whose agent cannot be asked (hollow nodes) and
    /// pods without a reading yet are left out, as metrics-server leaves them out.
    /// </summary>
    private async Task MetricsAsync(HttpContext context, RequestTarget target)
    {
        if (target.Subresource is not null)
            throw new ApiException(ApiStatus.NoSuchPath());
        if (context.Request.Method != "GET" || context.Request.Query["watch"] is ["true"] or ["1"])
            throw new ApiException(ApiStatus.MethodNotAllowed(context.Request.Method));
        var selector = LabelSelector.TryParse(context.Request.Query["labelSelector"], out var error)
            ?? throw new ApiException(ApiStatus.BadRequest($"unable to parse labelSelector: {error}"));
        var summaries = await SummariesAsync(context.RequestAborted);
        var items = target.Resource.Plural == "nodes"
            ? NodeMetrics(summaries, selector, target.Name)
            : PodMetrics(summaries, selector, target.Namespace, target.Name);
        if (target.Name is not null)
        {
            var single = items.FirstOrDefault() ?? throw new ApiException(ApiStatus.NotFound(target.Resource,
                target.Namespace is null ? target.Name : $"{target.Namespace}/{target.Name}"));
            await ApiResponse.WriteAsync(context, 200, single);
            return;
        }
        await ApiResponse.WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = target.Resource.ListKind,
            ["apiVersion"] = target.Resource.GroupVersion,
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray([.. items]),
        });
    }

    /// <summary>Each node's Summary from its agent, asked all at once; a node that does not answer in time has none.</summary>
    private async Task<List<NodeSummary>> SummariesAsync(CancellationToken cancellationToken)
    {
        var asked = caches.For(Nodes).Snapshot(Nodes.StoragePrefix).Objects.Select(async cached =>
        {
            var node = cached.Parse();
            if (NodeAgents.AddressOf(node) is not { } agent)
                return null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SummaryTimeout);
            try
            {
                using var answer = await agents.GetAsync(agent, "stats/summary", timeout.Token);
                if (!answer.IsSuccessStatusCode)
                    return null;
                return JsonNode.Parse(await answer.Content.ReadAsStringAsync(timeout.Token)) is JsonObject summary
                    ? new NodeSummary(node["metadata"]!["name"]!.ToString(), cached.Labels, summary)
                    : null;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        });
        return [.. (await Task.WhenAll(asked)).OfType<NodeSummary>()];
    }

    private static IEnumerable<JsonObject> NodeMetrics(List<NodeSummary> summaries, LabelSelector selector, string? name)
    {
        foreach (var (nodeName, labels, summary) in summaries)
        {
            if ((name is not null && nodeName != name) || !selector.Matches(labels) || summary["node"] is not JsonObject usage || Usage(usage) is not { } measured)
                continue;
            yield return new JsonObject
            {
                ["kind"] = "NodeMetrics",
                ["apiVersion"] = "metrics.k8s.io/v1beta1",
                ["metadata"] = new JsonObject { ["name"] = nodeName, ["creationTimestamp"] = WireTime.Time(DateTimeOffset.UtcNow), ["labels"] = LabelsJson(labels) },
                ["timestamp"] = measured.Time,
                ["window"] = Window,
                ["usage"] = measured.Usage,
            };
        }
    }

    private IEnumerable<JsonObject> PodMetrics(List<NodeSummary> summaries, LabelSelector selector, string? ns, string? name)
    {
        foreach (var pod in summaries.SelectMany(s => s.Summary["pods"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var podNs = pod["podRef"]?["namespace"]?.ToString() ?? "";
            var podName = pod["podRef"]?["name"]?.ToString() ?? "";
            if ((ns is not null && podNs != ns) || (name is not null && podName != name))
                continue;
            // The pod's labels are the API's: select by them, and leave out a pod the API no longer has.
            if (caches.For(Pods).Get(Pods.StorageKey(podNs, podName)) is not { } stored || !selector.Matches(stored.Labels))
                continue;
            var containers = new JsonArray();
            string? time = null;
            foreach (var container in (pod["containers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (Usage(container) is not { } measured)
                    continue;
                time ??= measured.Time;
                containers.Add((JsonNode)new JsonObject { ["name"] = container["name"]?.ToString(), ["usage"] = measured.Usage });
            }
            if (time is null)
                continue;
            yield return new JsonObject
            {
                ["kind"] = "PodMetrics",
                ["apiVersion"] = "metrics.k8s.io/v1beta1",
                ["metadata"] = new JsonObject
                {
                    ["name"] = podName,
                    ["namespace"] = podNs,
                    ["creationTimestamp"] = WireTime.Time(DateTimeOffset.UtcNow),
                    ["labels"] = LabelsJson(stored.Labels),
                },
                ["timestamp"] = time,
                ["window"] = Window,
                ["containers"] = containers,
            };
        }
    }

    /// <summary>The period over which CPU is a rate: agents read usage every 10 s (the agent's <c>NodeStats.Period</c>).</summary>
    private const string Window = "10s";

    /// <summary>CPU (nanocores) and memory (working set) as quantities, with the time of the reading; null without a CPU rate.</summary>
    private static (string Time, JsonObject Usage)? Usage(JsonObject stats)
    {
        if (stats["cpu"]?["usageNanoCores"] is not JsonValue cores || !cores.TryGetValue<ulong>(out var nanoCores)
            || stats["memory"]?["workingSetBytes"] is not JsonValue memory || !memory.TryGetValue<ulong>(out var bytes))
        {
            return null;
        }
        var quantity = bytes % 1024 == 0 ? $"{(bytes / 1024).ToString(CultureInfo.InvariantCulture)}Ki" : bytes.ToString(CultureInfo.InvariantCulture);
        return (stats["cpu"]!["time"]?.ToString() ?? WireTime.Time(DateTimeOffset.UtcNow),
            new JsonObject { ["cpu"] = $"{nanoCores.ToString(CultureInfo.InvariantCulture)}n", ["memory"] = quantity });
    }

    private static JsonObject LabelsJson(IReadOnlyDictionary<string, string> labels) => new([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);

    /// <summary>A node's name and labels (the API's) and the Summary its agent gave.</summary>
    private sealed record NodeSummary(string Name, IReadOnlyDictionary<string, string> Labels, JsonObject Summary);
}
