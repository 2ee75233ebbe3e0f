using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Storage;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Bootstrap;

/// <summary>The namespaces every cluster has from its first start: default, kube-system, kube-public, kube-node-lease.</summary>
internal static class SystemNamespaces
{
    public static readonly string[] Names = ["default", "kube-system", "kube-public", "kube-node-lease"];

    public static async Task EnsureAsync(IStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var namespaces = ResourceTable.BuiltIn.Find("", "v1", "namespaces")!;
        foreach (var name in Names)
        {
            var obj = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["creationTimestamp"] = WireTime.Time(time.GetUtcNow()),
                },
            };
            ObjectDefaults.OnCreate(namespaces, obj);
            ObjectDefaults.OnWrite(namespaces, obj);
            // Already there (a restart): the create is refused and the existing namespace stays as it is.
            await store.CreateAsync(namespaces.StorageKey(null, name), ObjectJson.ToStored(obj), 0, cancellationToken);
        }
    }
}
