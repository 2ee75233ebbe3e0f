using System.Text.Json.Nodes;
using Berth.Core.Serialization;
using Grpc.Core;

namespace Berth.Agent.Stats;

/// <summary>
/// The node's and its containers' resource usage, read every <see cref="Period"/>, with CPU as a rate over the last
/// period: what upstream's kubelet serves as its Summary API (<c>/stats/summary</c>) and the metrics API is made
/// from. A container appears from its second reading on, once it has a rate.
/// </summary>
public sealed class NodeStats(IContainerStats containers, TimeProvider time)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private static readonly Readings None = new(default, new Dictionary<string, ContainerUsage>());

    /// <summary>The last two readings, replaced together so that a summary never mixes readings.</summary>
    private Window _window = new(None, None);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var host = HostUsage.Read(time.GetUtcNow());
                var read = (await containers.ListAsync(cancellationToken)).ToDictionary(c => c.Id, StringComparer.Ordinal);
                _window = new Window(_window.Current, new Readings(host, read));
            }
            catch (RpcException)
            {
                // The runtime is restarting: the next reading will do.
            }
            try
            {
                await Task.Delay(Period, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The Summary API's document (its node and pods parts, CPU and working-set memory) for the node <paramref name="nodeName"/>.</summary>
    public JsonObject Summary(string nodeName)
    {
        var (previous, current) = _window;
        var node = new JsonObject { ["nodeName"] = nodeName };
        if (current.Host.Time != default)
        {
            node["cpu"] = Cpu(current.Host, previous.Host.Time == default ? null : current.Host.NanoCoresSince(previous.Host));
            node["memory"] = Memory(current.Host);
        }
        var pods = new JsonArray();
        foreach (var pod in current.Containers.Values.GroupBy(c => (c.PodNamespace, c.PodName, c.PodUid)))
        {
            var rated = pod.Where(c => previous.Containers.TryGetValue(c.Id, out var before) && c.Usage.NanoCoresSince(before.Usage) is not null).ToList();
            if (rated.Count == 0)
                continue;
            pods.Add((JsonNode)new JsonObject
            {
                ["podRef"] = new JsonObject { ["name"] = pod.Key.PodName, ["namespace"] = pod.Key.PodNamespace, ["uid"] = pod.Key.PodUid },
                ["containers"] = new JsonArray([.. rated.Select(c => (JsonNode)new JsonObject
                {
                    ["name"] = c.Container,
                    ["cpu"] = Cpu(c.Usage, c.Usage.NanoCoresSince(previous.Containers[c.Id].Usage)),
                    ["memory"] = Memory(c.Usage),
                })]),
            });
        }
        return new JsonObject { ["node"] = node, ["pods"] = pods };
    }

    /// <summary>The memory each running container of each pod (by uid) had in use at the last reading.</summary>
    public ILookup<string, ContainerUsage> ContainersByPod() => _window.Current.Containers.Values.ToLookup(c => c.PodUid, StringComparer.Ordinal);

    private static JsonObject Cpu(Usage usage, ulong? nanoCores)
    {
        var cpu = new JsonObject { ["time"] = WireTime.Time(usage.Time), ["usageCoreNanoSeconds"] = usage.CpuCoreNanoSeconds };
        if (nanoCores is { } rate)
            cpu["usageNanoCores"] = rate;
        return cpu;
    }

    private static JsonObject Memory(Usage usage) => new() { ["time"] = WireTime.Time(usage.Time), ["workingSetBytes"] = usage.WorkingSetBytes };

    private sealed record Readings(Usage Host, IReadOnlyDictionary<string, ContainerUsage> Containers);

    private sealed record Window(Readings Previous, Readings Current);
}
