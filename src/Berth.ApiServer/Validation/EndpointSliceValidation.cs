using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>
/// An EndpointSlice as upstream validates it: a known address type (immutable), at most 1,000 endpoints of 1 to 100
/// addresses each, every address of the slice's type and none unspecified or link-local, hostnames that are DNS
/// labels, and at most 100 ports with unique DNS-label names and a known protocol. Service proxies write these
/// addresses into packet filter rules; nothing else may get that far. Unlike upstream, loopback addresses pass:
/// Berth's nodes are at 127.0.0.1 (the network rule), so that is where host-network pods and the API server are.
/// </summary>
internal static class EndpointSliceValidation
{
    private const int MaxEndpoints = 1000;
    private const int MaxAddresses = 100;
    private const int MaxPorts = 100;
    private static readonly string[] AddressTypes = ["FQDN", "IPv4", "IPv6"];
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    public static void Validate(JsonObject slice, JsonObject? previous, List<StatusCause> causes)
    {
        var addressType = Text(slice["addressType"]);
        if (addressType.Length == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value", "addressType"));
        else if (!AddressTypes.Contains(addressType))
            causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{addressType}\": supported values: {Quoted(AddressTypes)}", "addressType"));
        if (previous is not null && Text(previous["addressType"]) is { Length: > 0 } was && was != addressType)
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{addressType}\": field is immutable", "addressType"));

        var endpoints = slice["endpoints"] as JsonArray ?? [];
        if (endpoints.Count > MaxEndpoints)
            causes.Add(TooMany("endpoints", endpoints.Count, MaxEndpoints));
        else
        {
            for (var i = 0; i < endpoints.Count; i++)
                ValidateEndpoint(endpoints[i] as JsonObject ?? [], addressType, $"endpoints[{i}]", causes);
        }

        var ports = slice["ports"] as JsonArray ?? [];
        if (ports.Count > MaxPorts)
        {
            causes.Add(TooMany("ports", ports.Count, MaxPorts));
            return;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i] as JsonObject ?? [];
            var name = Text(port["name"]);
            if (name.Length > 0 && !NameRules.IsDnsLabel(name))
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {NameRules.LabelMessage}", $"ports[{i}].name"));
            if (!names.Add(name))
                causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"ports[{i}].name"));
            var protocol = Text(port["protocol"]);
            if (protocol.Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", $"ports[{i}].protocol"));
            else if (!Protocols.Contains(protocol))
                causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{protocol}\": supported values: {Quoted(Protocols)}", $"ports[{i}].protocol"));
        }
    }

    private static void ValidateEndpoint(JsonObject endpoint, string addressType, string path, List<StatusCause> causes)
    {
        var addresses = endpoint["addresses"] as JsonArray ?? [];
        if (addresses.Count == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value: must contain at least 1 address", $"{path}.addresses"));
        else if (addresses.Count > MaxAddresses)
            causes.Add(TooMany($"{path}.addresses", addresses.Count, MaxAddresses));
        for (var i = 0; i < addresses.Count; i++)
        {
            var address = Text(addresses[i]);
            if (Problem(address, addressType) is { } problem)
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{address}\": {problem}", $"{path}.addresses[{i}]"));
        }
        if (endpoint["hostname"] is { } hostname && Text(hostname) is var name && !NameRules.IsDnsLabel(name))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {NameRules.LabelMessage}", $"{path}.hostname"));
    }

    /// <summary>What is wrong with <paramref name="address"/> in a slice of <paramref name="addressType"/>, or null.</summary>
    private static string? Problem(string address, string addressType)
    {
        var family = addressType switch
        {
            "IPv4" => AddressFamily.InterNetwork,
            "IPv6" => AddressFamily.InterNetworkV6,
            _ => (AddressFamily?)null,
        };
        if (family is null)
            return addressType == "FQDN" && !(NameRules.IsDnsSubdomain(address) && address.Contains('.', StringComparison.Ordinal))
                ? "should be a domain with at least two segments separated by dots"
                : null;
        // Only the plain written form, as Go's parser takes it: no zone, no leading zeros, nothing around it.
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != family || address.Contains('%', StringComparison.Ordinal)
            || family == AddressFamily.InterNetwork && ip.ToString() != address)
            return family == AddressFamily.InterNetwork ? "must be a valid IPv4 address" : "must be a valid IPv6 address";
        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            return $"may not be unspecified ({address})";
        var bytes = ip.GetAddressBytes();
        if (ip.IsIPv6LinkLocal || family == AddressFamily.InterNetwork && bytes[0] == 169 && bytes[1] == 254)
            return "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
        if (ip.IsIPv6Multicast && (bytes[1] & 0x0F) == 2 || family == AddressFamily.InterNetwork && bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0)
            return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
        return null;
    }

    private static StatusCause TooMany(string field, int actual, int max) =>
        new("FieldValueTooMany", $"Too many: {actual}: must have at most {max} items", field);

    private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
