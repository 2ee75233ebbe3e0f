using System.Text.Json.Nodes;
using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Tests;

/// <summary>Nodes and pods for plugin tests, from the few fields a case cares about.</summary>
internal static class Objects
{
    public static NodeInfo Node(string name, string cpu = "4", string memory = "8Gi", string? labels = null, string? taints = null, string? images = null) =>
        new(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = JsonNode.Parse(labels ?? "{}") },
            ["spec"] = new JsonObject { ["taints"] = JsonNode.Parse(taints ?? "[]") },
            ["status"] = new JsonObject
            {
                ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = "110" },
                ["images"] = JsonNode.Parse(images ?? "[]"),
            },
        });

    /// <summary>
    /// A pod with one container requesting <paramref name="cpu"/> and <paramref name="memory"/> (none when null), plus
    /// the spec fields in <paramref name="spec"/> (a JSON object); without the spec kept when <paramref name="placed"/>, as
    /// the cache keeps pods already on a node.
    /// </summary>
    public static PodInfo Pod(string name, string? cpu = null, string? memory = null, int priority = 0, string? spec = null, string ns = "default", string? labels = null,
        bool placed = false)
    {
        var requests = new JsonObject();
        if (cpu is not null)
            requests["cpu"] = cpu;
        if (memory is not null)
            requests["memory"] = memory;
        var podSpec = JsonNode.Parse(spec ?? "{}")!.AsObject();
        podSpec["priority"] = priority;
        podSpec["containers"] = new JsonArray(new JsonObject
        {
            ["name"] = "main",
            ["image"] = "app:1",
            ["resources"] = new JsonObject { ["requests"] = requests },
        });
        return new PodInfo(new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["uid"] = "uid-" + name,
                ["labels"] = JsonNode.Parse(labels ?? "{}"),
                ["creationTimestamp"] = "2026-01-01T00:00:00Z",
            },
            ["spec"] = podSpec,
        }, keepSpec: !placed);
    }

    public static NodeInfo With(this NodeInfo node, params PodInfo[] pods)
    {
        foreach (var pod in pods)
            node.AddPod(pod);
        return node;
    }
}
