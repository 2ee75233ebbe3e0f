using System.Text.Json.Nodes;
using Berth.Core.Quantities;

namespace Berth.Core.Pods;

/// <summary>
/// What a pod takes from its node, as upstream computes it for scheduling and admission: its app containers and
/// sidecars (restartable init containers) together, or the largest init container with the sidecars started before
/// it if that is more, plus the pod's overhead; and its limits, likewise.
/// </summary>
public static class PodRequests
{
    /// <summary>Resource name → amount (CPU in cores). Resources nobody requests are absent.</summary>
    public static Dictionary<string, decimal> Of(JsonObject podSpec) => Total(podSpec, "requests");

    /// <summary>
    /// Resource name → the pod's limit, summed as requests are, for the resources every container limits: one
    /// container without a limit leaves the pod without one (what bounds the pod's cgroup).
    /// </summary>
    public static Dictionary<string, decimal> LimitsOf(JsonObject podSpec)
    {
        var total = Total(podSpec, "limits");
        var containers = Containers(podSpec, "containers").Concat(Containers(podSpec, "initContainers")).ToList();
        foreach (var name in total.Keys.ToList())
        {
            if (containers.Any(c => c["resources"]?["limits"]?[name] is null))
                total.Remove(name);
        }
        return total;
    }

    private static Dictionary<string, decimal> Total(JsonObject podSpec, string kind)
    {
        Dictionary<string, decimal> Requests(JsonObject container) => Parse(container["resources"]?[kind] as JsonObject);
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var container in Containers(podSpec, "containers"))
            Add(total, Requests(container));

        var sidecars = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var largestInit = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var container in Containers(podSpec, "initContainers"))
        {
            Dictionary<string, decimal> during;
            if (container["restartPolicy"]?.ToString() == "Always")
            {
                Add(total, Requests(container));
                Add(sidecars, Requests(container));
                during = sidecars;
            }
            else
            {
                during = new Dictionary<string, decimal>(sidecars, StringComparer.Ordinal);
                Add(during, Requests(container));
            }
            foreach (var (name, amount) in during)
                largestInit[name] = Math.Max(largestInit.GetValueOrDefault(name), amount);
        }
        foreach (var (name, amount) in largestInit)
            total[name] = Math.Max(total.GetValueOrDefault(name), amount);
        Add(total, Parse(podSpec["overhead"] as JsonObject));
        return total;
    }

    private static IEnumerable<JsonObject> Containers(JsonObject podSpec, string field) => (podSpec[field] as JsonArray ?? []).OfType<JsonObject>();

    private static Dictionary<string, decimal> Parse(JsonObject? list)
    {
        var parsed = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (name, value) in list ?? [])
        {
            if (Quantity.TryParse(value?.ToString(), out var quantity))
                parsed[name] = quantity.Value;
        }
        return parsed;
    }

    private static void Add(Dictionary<string, decimal> into, Dictionary<string, decimal> more)
    {
        foreach (var (name, amount) in more)
            into[name] = into.GetValueOrDefault(name) + amount;
    }
}
