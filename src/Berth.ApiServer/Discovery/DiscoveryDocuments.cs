using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Resources;
using Berth.Core.Serialization;

namespace Berth.ApiServer.Discovery;

/// <summary>
/// The discovery documents, built once from the resource table: aggregated (<c>apidiscovery.k8s.io/v2</c>, chosen
/// by the Accept header and recognised by kubectl from the response's Content-Type) and legacy (<c>APIVersions</c>,
/// <c>APIGroupList</c>, one <c>APIResourceList</c> per group-version).
/// </summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    private readonly Dictionary<string, byte[]> _resourceLists = new(StringComparer.Ordinal);

    public DiscoveryDocuments(ResourceTable table)
    {
        AggregatedCore = Bytes(AggregatedList(table, table.Groups.Where(g => g.Length == 0)));
        AggregatedGroups = Bytes(AggregatedList(table, table.Groups.Where(g => g.Length > 0)));
        LegacyGroups = Bytes(new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray([.. table.Groups.Where(g => g.Length > 0).Select(g => (JsonNode)LegacyGroup(table, g))]),
        });
        foreach (var group in table.Groups)
        {
            foreach (var version in table.VersionsOf(group))
            {
                var groupVersion = group.Length == 0 ? version : $"{group}/{version}";
                _resourceLists[groupVersion] = Bytes(ResourceList(table, group, version, groupVersion));
            }
        }
    }

    public byte[] AggregatedCore { get; }

    public byte[] AggregatedGroups { get; }

    public byte[] LegacyGroups { get; }

    /// <summary>The legacy <c>/api</c> document; it names the address clients reached the server at.</summary>
    public static byte[] LegacyCore(string serverAddress) => Bytes(new JsonObject
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    });

    public byte[]? ResourceList(string groupVersion) => _resourceLists.GetValueOrDefault(groupVersion);

    /// <summary>The legacy <c>/apis/{group}</c> document (an <c>APIGroup</c>), or null for an unknown group.</summary>
    public static byte[]? Group(ResourceTable table, string group)
    {
        if (group.Length == 0 || !table.Groups.Contains(group))
            return null;
        var document = LegacyGroup(table, group);
        document["kind"] = "APIGroup";
        document["apiVersion"] = "v1";
        return Bytes(document);
    }

    private static JsonObject AggregatedList(ResourceTable table, IEnumerable<string> groups) => new()
    {
        ["kind"] = "APIGroupDiscoveryList",
        ["apiVersion"] = "apidiscovery.k8s.io/v2",
        ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray([.. groups.Select(group => (JsonNode)new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null },
            ["versions"] = new JsonArray([.. table.VersionsOf(group).Select(version => (JsonNode)new JsonObject
            {
                ["version"] = version,
                ["resources"] = new JsonArray([.. table.InGroupVersion(group, version).Select(r => (JsonNode)AggregatedResource(r))]),
                ["freshness"] = "Current",
            })]),
        })]),
    };

    private static JsonObject AggregatedResource(ResourceInfo r)
    {
        var resource = new JsonObject
        {
            ["resource"] = r.Plural,
            ["responseKind"] = Kind(r.Group, r.Version, r.Kind),
            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = r.Singular,
            ["verbs"] = Strings(r.Verbs),
        };
        if (r.ShortNames.Count > 0)
            resource["shortNames"] = Strings(r.ShortNames);
        if (r.Categories.Count > 0)
            resource["categories"] = Strings(r.Categories);
        if (r.Subresources.Count > 0)
        {
            resource["subresources"] = new JsonArray([.. r.Subresources.Select(s => (JsonNode)new JsonObject
            {
                ["subresource"] = s.Name,
                ["responseKind"] = Kind(s.Group, s.Version, s.Kind),
                ["verbs"] = Strings(s.Verbs),
            })]);
        }
        return resource;
    }

    private static JsonObject LegacyGroup(ResourceTable table, string group)
    {
        var versions = table.VersionsOf(group).Select(v => new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToList();
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = new JsonArray([.. versions]),
            ["preferredVersion"] = versions[0].DeepClone(),
        };
    }

    private static JsonObject ResourceList(ResourceTable table, string group, string version, string groupVersion)
    {
        var resources = new JsonArray();
        foreach (var r in table.InGroupVersion(group, version))
        {
            var entry = new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = Strings(r.Verbs),
            };
            if (r.ShortNames.Count > 0)
                entry["shortNames"] = Strings(r.ShortNames);
            if (r.Categories.Count > 0)
                entry["categories"] = Strings(r.Categories);
            resources.Add((JsonNode)entry);
            foreach (var s in r.Subresources)
            {
                var sub = new JsonObject
                {
                    ["name"] = $"{r.Plural}/{s.Name}",
                    ["singularName"] = r.Singular,
                    ["namespaced"] = r.Namespaced,
                    ["kind"] = s.Kind,
                    ["verbs"] = Strings(s.Verbs),
                };
                if (s.Group != r.Group || s.Version != r.Version)
                {
                    sub["group"] = s.Group;
                    sub["version"] = s.Version;
                }
                resources.Add((JsonNode)sub);
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = groupVersion,
            ["resources"] = resources,
        };
    }

    private static JsonObject Kind(string group, string version, string kind) => new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static byte[] Bytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, NodeJsonContext.Default.JsonNode);
}
