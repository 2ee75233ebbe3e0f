using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.ApiServer.Services;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>
/// A Service's type, ports (required, in range, named when several, names unique), external name, cluster IPs
/// (<c>clusterIP</c> and <c>clusterIPs</c> in step, addresses or None) and node ports (none for ClusterIP, no
/// duplicates), in upstream's words.
/// </summary>
internal static class ServiceValidation
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] Policies = ["Cluster", "Local"];

    /// <summary>Upstream's longest ClientIP affinity: a day.</summary>
    private const int MaxAffinitySeconds = 86400;

    public static void Validate(JsonObject spec, List<StatusCause> causes)
    {
        var type = Text(spec["type"]);
        if (!Types.Contains(type))
        {
            causes.Add(new StatusCause("FieldValueNotSupported",
                $"Unsupported value: \"{type}\": supported values: {string.Join(", ", Types.Select(t => $"\"{t}\""))}", "spec.type"));
        }
        if (type == "ExternalName")
        {
            if (ServiceSpecs.ClusterIps(spec).Count > 0)
                causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not be set for ExternalName services", "spec.clusterIPs"));
            if (spec["ipFamilies"] is JsonArray { Count: > 0 })
                causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not be set for ExternalName services", "spec.ipFamilies"));
            if (spec["ipFamilyPolicy"] is not null)
                causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not be set for ExternalName services", "spec.ipFamilyPolicy"));
            if (Text(spec["externalName"]).Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.externalName"));
            return;
        }
        if (type is "NodePort" or "LoadBalancer" && ServiceSpecs.ClusterIps(spec) is [ServiceSpecs.None])
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"None\": may not be set to 'None' for {type} services", "spec.clusterIPs[0]"));
        }
        var ports = spec["ports"] as JsonArray ?? [];
        if (ports.Count == 0 && Text(spec["clusterIP"]) != "None")
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.ports"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i] is not JsonObject port)
                continue;
            var name = Text(port["name"]);
            if (ports.Count > 1 && name.Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", $"spec.ports[{i}].name"));
            else if (name.Length > 0 && !NameRules.IsDnsLabel(name))
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {NameRules.LabelMessage}", $"spec.ports[{i}].name"));
            else if (name.Length > 0 && !names.Add(name))
                causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"spec.ports[{i}].name"));
            if (Text(port["protocol"]) is var protocol && !Protocols.Contains(protocol))
                causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{protocol}\": supported values: {Quoted(Protocols)}", $"spec.ports[{i}].protocol"));
            if (JsonNumbers.Integer(port["port"]) is not (>= 1 and <= 65535))
            {
                var shown = port["port"]?.ToJsonString() ?? "0";
                causes.Add(new StatusCause("FieldValueInvalid",
                    string.Create(CultureInfo.InvariantCulture, $"Invalid value: {shown}: must be between 1 and 65535, inclusive"), $"spec.ports[{i}].port"));
            }
        }
        ClusterIps(spec, causes);
        NodePorts(spec, type, causes);
        TrafficPolicies(spec, causes);
    }

    /// <summary>The traffic policies are ones upstream knows, and a ClientIP affinity lasts between a second and a day.</summary>
    private static void TrafficPolicies(JsonObject spec, List<StatusCause> causes)
    {
        foreach (var field in new[] { "internalTrafficPolicy", "externalTrafficPolicy" })
        {
            if (spec[field] is not null && Text(spec[field]) is var policy && !Policies.Contains(policy))
                causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{policy}\": supported values: {Quoted(Policies)}", $"spec.{field}"));
        }
        if (spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"] is { } timeout
            && JsonNumbers.Integer(timeout) is not (> 0 and <= MaxAffinitySeconds))
        {
            causes.Add(new StatusCause("FieldValueInvalid",
                $"Invalid value: {timeout.ToJsonString()}: must be greater than 0 and less than {MaxAffinitySeconds.ToString(CultureInfo.InvariantCulture)}",
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds"));
        }
    }

    private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    /// <summary>clusterIP and clusterIPs say the same (the strategy keeps them in step), and name addresses, or None alone.</summary>
    private static void ClusterIps(JsonObject spec, List<StatusCause> causes)
    {
        var clusterIp = ServiceSpecs.ClusterIp(spec);
        var clusterIps = ServiceSpecs.ClusterIps(spec);
        var shown = ServiceSpecs.GoStrings(clusterIps);
        if (clusterIp.Length > 0 && clusterIps.Count == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "spec.clusterIPs"));
        else if (clusterIp.Length > 0 && clusterIps[0] != clusterIp)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: first value must match `clusterIP`", "spec.clusterIPs"));
        else if (clusterIp.Length == 0 && clusterIps.Count > 0)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: must be empty when `clusterIP` is not specified", "spec.clusterIPs"));
        for (var i = 0; i < clusterIps.Count; i++)
        {
            if (clusterIps[i] == ServiceSpecs.None && i == 0)
            {
                if (clusterIps.Count > 1)
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: 'None' must be the first and only value", "spec.clusterIPs"));
                continue;
            }
            if (!IPAddress.TryParse(clusterIps[i], out _) || clusterIps[i].Contains('%', StringComparison.Ordinal))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{clusterIps[i]}\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    string.Create(CultureInfo.InvariantCulture, $"spec.clusterIPs[{i}]")));
            }
        }
        if (clusterIps.Count > 2)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: may only hold up to 2 values", "spec.clusterIPs"));
        else if (clusterIps.Count == 2 && IPAddress.TryParse(clusterIps[0], out var first) && IPAddress.TryParse(clusterIps[1], out var second)
            && first.AddressFamily == second.AddressFamily)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: may specify no more than one IP for each IP family", "spec.clusterIPs"));
    }

    /// <summary>A ClusterIP Service has no node ports; no two ports share a node port and protocol; a health check node port only where one is needed.</summary>
    private static void NodePorts(JsonObject spec, string type, List<StatusCause> causes)
    {
        var ports = ServiceSpecs.Ports(spec);
        var seen = new HashSet<(string, long)>();
        for (var i = 0; i < ports.Count; i++)
        {
            var nodePort = ServiceSpecs.NodePort(ports[i]);
            if (nodePort == 0)
                continue;
            var field = string.Create(CultureInfo.InvariantCulture, $"spec.ports[{i}].nodePort");
            if (type == "ClusterIP")
                causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not be used when `type` is 'ClusterIP'", field));
            if (!seen.Add((Text(ports[i]["protocol"]), nodePort)))
                causes.Add(new StatusCause("FieldValueDuplicate", string.Create(CultureInfo.InvariantCulture, $"Duplicate value: {nodePort}"), field));
        }
        if (!ServiceSpecs.NeedsHealthCheckNodePort(spec) && ServiceSpecs.HealthCheckNodePort(spec) is var healthCheck and not 0)
        {
            causes.Add(new StatusCause("FieldValueInvalid",
                string.Create(CultureInfo.InvariantCulture, $"Invalid value: {healthCheck}: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"),
                "spec.healthCheckNodePort"));
        }
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
