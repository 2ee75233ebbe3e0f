using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>
/// What the server sets on an object of a particular kind when it is created. Only what the API machinery
/// itself depends on lives here; the full per-kind defaulting arrives with the declarative-API work.
/// </summary>
internal static class ObjectDefaults
{
    public static void OnCreate(ResourceInfo resource, JsonObject obj)
    {
        // Status is reported by controllers and agents, never set by whoever creates the object (nodes excepted:
        // an agent registers its node with the status it observed).
        if (resource.HasStatus && resource is not { Group: "", Plural: "nodes" })
            obj.Remove("status");

        switch (resource)
        {
            case { Group: "", Plural: "namespaces" }:
                // The namespace controller removes the "kubernetes" finalizer once the namespace is empty.
                var spec = obj["spec"] as JsonObject ?? [];
                spec["finalizers"] = new JsonArray("kubernetes");
                obj["spec"] = spec;
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case { Group: "", Plural: "pods" }:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
            case { Group: "", Plural: "persistentvolumes" or "persistentvolumeclaims" }:
                obj["status"] = new JsonObject { ["phase"] = "Pending" };
                break;
        }
    }
}
