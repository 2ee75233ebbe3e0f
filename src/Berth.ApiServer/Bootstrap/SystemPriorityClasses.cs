using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Core.Serialization;
using Berth.Storage;

namespace Berth.ApiServer.Bootstrap;

/// <summary>
/// The PriorityClasses every cluster has from its first start, as upstream's scheduling bootstrap hook creates them:
/// system-node-critical and system-cluster-critical, above any value a user may define. They cannot be deleted.
/// </summary>
internal static class SystemPriorityClasses
{
    private static readonly ResourceInfo Resource = ResourceTable.BuiltIn.Find("scheduling.k8s.io", "v1", "priorityclasses")!;

    public static readonly IReadOnlyList<(string Name, int Value, string Description)> Classes =
    [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    public static async Task EnsureAsync(IStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        foreach (var (name, value, description) in Classes)
        {
            var obj = new JsonObject
            {
                ["apiVersion"] = Resource.GroupVersion,
                ["kind"] = Resource.Kind,
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = WireTime.Time(time.GetUtcNow()),
                },
                ["value"] = value,
                ["description"] = description,
            };
            ObjectDefaults.OnCreate(Resource, obj);
            ObjectDefaults.OnWrite(Resource, obj);
            // Already there (a restart): the create is refused and the existing class stays as it is.
            await store.CreateAsync(Resource.StorageKey(null, name), ObjectJson.ToStored(obj), 0, cancellationToken);
        }
    }

    /// <summary>Whether <paramref name="name"/> is a system class of <paramref name="resource"/>, which a delete may not remove.</summary>
    public static bool Protects(ResourceInfo resource, string name) =>
        resource is { Group: "scheduling.k8s.io", Plural: "priorityclasses" } && Classes.Any(c => c.Name == name);
}
