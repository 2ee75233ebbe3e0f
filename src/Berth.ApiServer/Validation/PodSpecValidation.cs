using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.Errors;
using Berth.Core.Quantities;

namespace Berth.ApiServer.Validation;

/// <summary>A pod spec (in a pod or a template) as upstream validates the parts users most often get wrong.</summary>
internal static class PodSpecValidation
{
    private static readonly string[] Probes = ["livenessProbe", "readinessProbe", "startupProbe"];
    private static readonly string[] ProbeHandlers = ["exec", "httpGet", "tcpSocket", "grpc"];
    private static readonly string[] ProbeCounters = ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"];

    /// <summary>
    /// Checks <paramref name="spec"/> (at <paramref name="path"/>) into <paramref name="causes"/>; mounts may also name
    /// <paramref name="claimVolumes"/>, the volumes a stateful set's claim templates add to its pods.
    /// </summary>
    public static void Validate(JsonObject? spec, string path, List<StatusCause> causes, IReadOnlyCollection<string>? claimVolumes = null)
    {
        if (spec is null)
        {
            causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{path}.containers"));
            return;
        }
        if (spec["containers"] is not JsonArray { Count: > 0 })
            causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{path}.containers"));
        var volumes = spec["volumes"] as JsonArray ?? [];
        var volumeNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < volumes.Count; i++)
        {
            var name = Text(volumes[i]?["name"]);
            if (name.Length == 0)
                causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{path}.volumes[{i}].name"));
            else if (!volumeNames.Add(name))
                causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"{path}.volumes[{i}].name"));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            var containers = spec[list] as JsonArray ?? [];
            for (var i = 0; i < containers.Count; i++)
            {
                if (containers[i] is not JsonObject container)
                    continue;
                var at = $"{path}.{list}[{i}]";
                var name = Text(container["name"]);
                if (name.Length == 0)
                    causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{at}.name"));
                else if (!NameRules.IsDnsLabel(name))
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {NameRules.LabelMessage}", $"{at}.name"));
                else if (!names.Add(name))
                    causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"{at}.name"));
                if (Text(container["image"]).Length == 0)
                    causes.Add(new StatusCause("FieldValueRequired", "Required value", $"{at}.image"));
                ValidateResources(container, at, causes);
                var mounts = container["volumeMounts"] as JsonArray ?? [];
                for (var m = 0; m < mounts.Count; m++)
                {
                    var volume = Text(mounts[m]?["name"]);
                    if (volume.Length > 0 && !volumeNames.Contains(volume) && claimVolumes?.Contains(volume) != true)
                        causes.Add(new StatusCause("FieldValueNotFound", $"Not found: \"{volume}\"", $"{at}.volumeMounts[{m}].name"));
                }
                foreach (var probe in Probes)
                {
                    if (container[probe] is JsonObject handler)
                        ValidateProbe(handler, $"{at}.{probe}", mustSucceedOnce: probe != "readinessProbe", causes);
                }
                var ports = container["ports"] as JsonArray ?? [];
                for (var p = 0; p < ports.Count; p++)
                {
                    if (JsonNumbers.Integer(ports[p]?["containerPort"]) is { } number and (< 1 or > 65535))
                    {
                        causes.Add(new StatusCause("FieldValueInvalid",
                            string.Create(CultureInfo.InvariantCulture, $"Invalid value: {number}: must be between 1 and 65535, inclusive"), $"{at}.ports[{p}].containerPort"));
                    }
                }
            }
        }
    }

    /// <summary>Requests and limits not negative, and no request above its limit.</summary>
    private static void ValidateResources(JsonObject container, string at, List<StatusCause> causes)
    {
        var limits = container["resources"]?["limits"] as JsonObject ?? [];
        var requests = container["resources"]?["requests"] as JsonObject ?? [];
        foreach (var (part, values) in new[] { ("limits", limits), ("requests", requests) })
        {
            foreach (var (name, value) in values)
            {
                if (Quantity.TryParse(Text(value), out var quantity) && quantity.Value < 0)
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{Text(value)}\": must be greater than or equal to 0", $"{at}.resources.{part}.{name}"));
            }
        }
        foreach (var (name, value) in requests)
        {
            if (Quantity.TryParse(Text(value), out var request) && Quantity.TryParse(Text(limits[name]), out var limit) && request.Value > limit.Value)
            {
                causes.Add(new StatusCause("FieldValueInvalid",
                    $"Invalid value: \"{Text(value)}\": must be less than or equal to {name} limit of {Text(limits[name])}", $"{at}.resources.requests"));
            }
        }
    }

    /// <summary>One handler exactly, counters not negative, and liveness and startup probes succeeding once.</summary>
    private static void ValidateProbe(JsonObject probe, string at, bool mustSucceedOnce, List<StatusCause> causes)
    {
        var handlers = ProbeHandlers.Where(h => probe[h] is not null).ToList();
        if (handlers.Count == 0)
            causes.Add(new StatusCause("FieldValueRequired", "Required value: must specify a handler type", at));
        foreach (var extra in handlers.Skip(1))
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: may not specify more than 1 handler type", $"{at}.{extra}"));
        foreach (var counter in ProbeCounters)
        {
            if (JsonNumbers.Integer(probe[counter]) is { } value and < 0)
                causes.Add(new StatusCause("FieldValueInvalid", string.Create(CultureInfo.InvariantCulture, $"Invalid value: {value}: must be greater than or equal to 0"), $"{at}.{counter}"));
        }
        if (mustSucceedOnce && JsonNumbers.Integer(probe["successThreshold"]) is { } threshold and not 1 and >= 0)
            causes.Add(new StatusCause("FieldValueInvalid", string.Create(CultureInfo.InvariantCulture, $"Invalid value: {threshold}: must be 1"), $"{at}.successThreshold"));
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
