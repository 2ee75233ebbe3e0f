using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Agent.Runtime;
using Berth.Client;
using Berth.Core.Quantities;

namespace Berth.Agent.Pods;

/// <summary>
/// A container's environment as upstream's kubelet makes it: <c>envFrom</c> sources in order (ConfigMaps and Secrets,
/// with their prefix), then <c>env</c> entries (plain values with <c>$(VAR)</c> references to earlier ones, and values
/// from ConfigMap and Secret keys, the pod's fields and the container's resources), then the service links
/// (<see cref="ServiceLinks"/>) the container does not set itself; the container's command and args get their
/// <c>$(VAR)</c> references expanded too. A missing source that is not optional leaves the container waiting
/// with <c>CreateContainerConfigError</c>.
/// </summary>
internal sealed partial class ContainerEnvironment(ApiClient client, string nodeName, string hostIp)
{
    /// <summary>The environment of <paramref name="container"/>, given the pod's service <paramref name="links"/>, and its spec with command and args expanded.</summary>
    public async Task<(List<KeyValuePair<string, string>> Env, JsonObject Spec)> ResolveAsync(JsonObject pod, PodSandbox sandbox, JsonObject container,
        IReadOnlyDictionary<string, string> links, CancellationToken cancellationToken)
    {
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var sources = new Sources(client, ns);
        var env = new List<KeyValuePair<string, string>>();
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);
        // $(VAR) finds the container's own variables first, then the service links'.
        var known = new Dictionary<string, string>(links, StringComparer.Ordinal);
        void Set(string name, string value)
        {
            if (byName.ContainsKey(name))
                env.RemoveAll(e => e.Key == name);
            byName[name] = value;
            known[name] = value;
            env.Add(KeyValuePair.Create(name, value));
        }

        foreach (var from in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var prefix = from["prefix"]?.ToString() ?? "";
            var (kind, reference) = from["configMapRef"] is JsonObject map ? ("ConfigMap", map) : ("Secret", from["secretRef"] as JsonObject);
            if (reference is null)
                continue;
            var data = await sources.DataAsync(kind, reference["name"]?.ToString() ?? "", reference["optional"]?.GetValue<bool>() == true, cancellationToken);
            foreach (var (key, value) in data ?? [])
            {
                // Keys that are not variable names are left out, as upstream does.
                if (EnvName().IsMatch(prefix + key))
                    Set(prefix + key, value);
            }
        }
        foreach (var entry in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = entry["name"]?.ToString() ?? "";
            if (entry["valueFrom"] is not JsonObject valueFrom)
            {
                Set(name, Expand(entry["value"]?.ToString() ?? "", known));
                continue;
            }
            if (await ValueFromAsync(valueFrom, pod, sandbox, container, sources, cancellationToken) is { } value)
                Set(name, value);
        }

        // The links come after the container's own variables, and never in place of one.
        env.AddRange(links.Where(l => !byName.ContainsKey(l.Key)).OrderBy(l => l.Key, StringComparer.Ordinal));
        var spec = container.DeepClone().AsObject();
        foreach (var part in new[] { "command", "args" })
        {
            if (spec[part] is JsonArray items)
                spec[part] = new JsonArray([.. items.Select(i => (JsonNode?)JsonValue.Create(Expand(i?.ToString() ?? "", known)))]);
        }
        return (env, spec);
    }

    private async Task<string?> ValueFromAsync(JsonObject valueFrom, JsonObject pod, PodSandbox sandbox, JsonObject container, Sources sources,
        CancellationToken cancellationToken)
    {
        if (valueFrom["configMapKeyRef"] is JsonObject mapKey)
            return await sources.KeyAsync("ConfigMap", mapKey, cancellationToken);
        if (valueFrom["secretKeyRef"] is JsonObject secretKey)
            return await sources.KeyAsync("Secret", secretKey, cancellationToken);
        if (valueFrom["fieldRef"]?["fieldPath"]?.ToString() is { } field)
            return FieldValue(field, pod, sandbox) ?? throw new ContainerConfigException($"unsupported fieldPath: {field}");
        if (valueFrom["resourceFieldRef"] is JsonObject resource)
            return await ResourceValueAsync(resource, pod, container, cancellationToken);
        return null;
    }

    /// <summary>A pod field for the downward API (upstream's supported field paths).</summary>
    public string? FieldValue(string path, JsonObject pod, PodSandbox? sandbox)
    {
        var metadata = pod["metadata"]!;
        var keyed = KeyedField().Match(path);
        if (keyed.Success)
            return metadata[keyed.Groups[1].Value]?[keyed.Groups[2].Value]?.ToString() ?? "";
        return path switch
        {
            "metadata.name" => metadata["name"]?.ToString(),
            "metadata.namespace" => metadata["namespace"]?.ToString(),
            "metadata.uid" => metadata["uid"]?.ToString(),
            "spec.nodeName" => pod["spec"]?["nodeName"]?.ToString(),
            "spec.serviceAccountName" => pod["spec"]?["serviceAccountName"]?.ToString() ?? "",
            "status.hostIP" or "status.hostIPs" => hostIp,
            "status.podIP" or "status.podIPs" => pod["spec"]?["hostNetwork"]?.GetValue<bool>() == true ? hostIp : sandbox?.Ip,
            _ => null,
        };
    }

    /// <summary>A container's request or limit in units of the divisor, rounded up; an unset limit is the node's allocatable.</summary>
    public async Task<string> ResourceValueAsync(JsonObject reference, JsonObject pod, JsonObject container, CancellationToken cancellationToken)
    {
        var target = reference["containerName"]?.ToString() is { Length: > 0 } named
            ? ContainerSpec.Of(pod["spec"] as JsonObject ?? []).FirstOrDefault(c => c.Name == named)?.Source ?? container
            : container;
        var resource = reference["resource"]?.ToString() ?? "";
        var (part, name) = resource.Split('.', 2) is [var p, var n] ? (p, n) : ("", resource);
        var text = target["resources"]?[part]?[name]?.ToString()
            ?? (part == "requests" ? target["resources"]?["limits"]?[name]?.ToString() : null)
            ?? await NodeAllocatableAsync(name, cancellationToken)
            ?? "0";
        var divisorText = reference["divisor"]?.ToString() is { Length: > 0 } d and not "0" ? d : "1";
        if (!Quantity.TryParse(text, out var value) || !Quantity.TryParse(divisorText, out var divisor) || divisor.Value == 0)
            throw new ContainerConfigException($"invalid resource quantity for {resource}");
        return decimal.Ceiling(value.Value / divisor.Value).ToString(CultureInfo.InvariantCulture);
    }

    private async Task<string?> NodeAllocatableAsync(string resource, CancellationToken cancellationToken)
    {
        var node = await client.GetAsync($"/api/v1/nodes/{nodeName}", cancellationToken);
        node.ThrowIfFailed($"reading node {nodeName}");
        return node.Body?["status"]?["allocatable"]?[resource]?.ToString();
    }

    /// <summary>Expands <c>$(NAME)</c> from <paramref name="known"/>; <c>$$</c> is a literal <c>$</c>; unknown references stay as written.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> known)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
            return text;
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
                continue;
            }
            if (text[i + 1] == '$')
            {
                result.Append('$');
                i++;
                continue;
            }
            var close = text[i + 1] == '(' ? text.IndexOf(')', i + 2) : -1;
            if (close < 0)
            {
                result.Append(text[i]);
                continue;
            }
            var name = text[(i + 2)..close];
            result.Append(known.TryGetValue(name, out var value) ? value : text[i..(close + 1)]);
            i = close;
        }
        return result.ToString();
    }

    [GeneratedRegex(@"^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"^metadata\.(labels|annotations)\['(.+)'\]$")]
    private static partial Regex KeyedField();

    /// <summary>ConfigMaps and Secrets of the pod's namespace, each read once per container.</summary>
    private sealed class Sources(ApiClient client, string ns)
    {
        private readonly Dictionary<(string Kind, string Name), Dictionary<string, string>?> _read = [];

        /// <summary>The data of a ConfigMap or Secret (Secrets' values decoded); null when missing and optional.</summary>
        public async Task<Dictionary<string, string>?> DataAsync(string kind, string name, bool optional, CancellationToken cancellationToken)
        {
            if (!_read.TryGetValue((kind, name), out var data))
            {
                var plural = kind == "Secret" ? "secrets" : "configmaps";
                var found = await client.GetAsync($"/api/v1/namespaces/{ns}/{plural}/{name}", cancellationToken);
                if (!found.IsNotFound)
                    found.ThrowIfFailed($"reading {kind} {ns}/{name}");
                data = found.IsNotFound ? null : Decode(kind, found.Body!);
                _read[(kind, name)] = data;
            }
            if (data is null && !optional)
                throw new ContainerConfigException($"{kind.ToLowerInvariant()} \"{name}\" not found");
            return data;
        }

        public async Task<string?> KeyAsync(string kind, JsonObject reference, CancellationToken cancellationToken)
        {
            var (name, key, optional) = (reference["name"]?.ToString() ?? "", reference["key"]?.ToString() ?? "", reference["optional"]?.GetValue<bool>() == true);
            var data = await DataAsync(kind, name, optional, cancellationToken);
            if (data is null)
                return null;
            if (data.TryGetValue(key, out var value))
                return value;
            return optional ? null : throw new ContainerConfigException($"couldn't find key {key} in {kind} {ns}/{name}");
        }

        private static Dictionary<string, string> Decode(string kind, JsonNode body)
        {
            var data = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in body["data"] as JsonObject ?? [])
                data[key] = kind == "Secret" ? Encoding.UTF8.GetString(Convert.FromBase64String(value?.ToString() ?? "")) : value?.ToString() ?? "";
            return data;
        }
    }
}

/// <summary>A container cannot be configured yet (a ConfigMap or Secret it needs is missing): <c>CreateContainerConfigError</c>.</summary>
internal sealed class ContainerConfigException(string message) : Exception(message);
