using System.Text.Json.Nodes;

namespace Berth.ApiServer.Defaulting;

/// <summary>
/// Upstream's defaults for a pod spec (in pods and in every pod template), and what admission adds to pods
/// themselves: the default service account and the not-ready/unreachable tolerations (PriorityAdmission adds the
/// priority).
/// </summary>
internal static class PodDefaults
{
    private const int DefaultMode = 420;
    private static readonly string[] ComputeResources = ["cpu", "memory"];
    private static readonly string[] NodeTroubleTaints = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];
    private static readonly string[] Probes = ["livenessProbe", "readinessProbe", "startupProbe"];
    private static readonly string[] ModeSources = ["configMap", "secret", "projected", "downwardAPI"];

    public static void Spec(JsonObject spec)
    {
        spec.Default("restartPolicy", "Always");
        spec.Default("terminationGracePeriodSeconds", 30);
        spec.Default("dnsPolicy", "ClusterFirst");
        spec.Default("securityContext", new JsonObject());
        spec.Default("schedulerName", "default-scheduler");
        spec.Default("enableServiceLinks", true);
        foreach (var container in spec.Items("initContainers").Concat(spec.Items("containers")).Concat(spec.Items("ephemeralContainers")))
            Container(container);
        foreach (var volume in spec.Items("volumes"))
            Volume(volume);
    }

    /// <summary>
    /// A container limiting a resource without requesting it requests its limit, as upstream defaults pods (not
    /// templates, whose pods get it when they are made).
    /// </summary>
    public static void RequestsFromLimits(JsonObject spec)
    {
        foreach (var container in spec.Items("initContainers").Concat(spec.Items("containers")))
        {
            if (container["resources"]?["limits"] is not JsonObject { Count: > 0 } limits)
                continue;
            if (container["resources"]!["requests"] is not JsonObject requests)
                container["resources"]!["requests"] = requests = [];
            foreach (var (name, limit) in limits)
                requests.Default(name, limit?.DeepClone());
        }
    }

    /// <summary>What admission sets on a pod (not on templates): service account, tolerations for node trouble.</summary>
    public static void Admit(JsonObject spec)
    {
        // serviceAccount is the deprecated spelling: either names the account, and both end up saying it.
        spec.Default("serviceAccountName", spec["serviceAccount"]?.DeepClone() ?? "default");
        spec["serviceAccount"] = spec["serviceAccountName"]!.DeepClone();
        var tolerations = spec["tolerations"] as JsonArray ?? [];
        spec["tolerations"] = tolerations;
        foreach (var taint in NodeTroubleTaints)
        {
            if (!tolerations.OfType<JsonObject>().Any(t => t["key"]?.GetValue<string>() == taint && t["effect"]?.GetValue<string>() is null or "NoExecute"))
            {
                tolerations.Add((JsonNode)new JsonObject
                {
                    ["key"] = taint,
                    ["operator"] = "Exists",
                    ["effect"] = "NoExecute",
                    ["tolerationSeconds"] = 300,
                });
            }
        }
    }

    /// <summary>A pod created with scheduling gates says so in its PodScheduled condition, which kubectl shows as <c>SchedulingGated</c>.</summary>
    public static void SchedulingGated(JsonObject pod)
    {
        if (pod["spec"]?["schedulingGates"] is not JsonArray { Count: > 0 })
            return;
        var status = pod.Child("status");
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        if (conditions.OfType<JsonObject>().Any(c => c["type"]?.ToString() == "PodScheduled"))
            return;
        conditions.Add((JsonNode)new JsonObject
        {
            ["type"] = "PodScheduled",
            ["status"] = "False",
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = Berth.Core.Serialization.WireTime.Time(DateTimeOffset.UtcNow),
            ["reason"] = "SchedulingGated",
            ["message"] = "Scheduling is blocked due to non-empty scheduling gates",
        });
    }

    /// <summary>The pod's QoS class, as the server records it at creation.</summary>
    public static string QosClass(JsonObject spec)
    {
        var containers = spec.Items("initContainers").Concat(spec.Items("containers")).ToList();
        bool Has(JsonObject c, string part, string resource) => c["resources"]?[part]?[resource] is not null;
        if (containers.All(c => !Has(c, "requests", "cpu") && !Has(c, "requests", "memory") && !Has(c, "limits", "cpu") && !Has(c, "limits", "memory")))
            return "BestEffort";
        var guaranteed = containers.All(c => ComputeResources.All(r =>
            Has(c, "limits", r) && (!Has(c, "requests", r) || c["resources"]!["requests"]![r]!.ToJsonString() == c["resources"]!["limits"]![r]!.ToJsonString())));
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void Container(JsonObject container)
    {
        container.Default("terminationMessagePath", "/dev/termination-log");
        container.Default("terminationMessagePolicy", "File");
        container.Default("imagePullPolicy", PullPolicy(container["image"]?.GetValue<string>() ?? ""));
        container.Default("resources", new JsonObject());
        foreach (var port in container.Items("ports"))
            port.Default("protocol", "TCP");
        foreach (var env in container.Items("env"))
        {
            if (env.Existing("valueFrom")?.Existing("fieldRef") is { } fieldRef)
                fieldRef.Default("apiVersion", "v1");
        }
        foreach (var probe in Probes)
        {
            if (container.Existing(probe) is not { } p)
                continue;
            p.Default("timeoutSeconds", 1);
            p.Default("periodSeconds", 10);
            p.Default("successThreshold", 1);
            p.Default("failureThreshold", 3);
            p.Existing("httpGet")?.Default("scheme", "HTTP");
        }
    }

    private static void Volume(JsonObject volume)
    {
        foreach (var source in ModeSources)
            volume.Existing(source)?.Default("defaultMode", DefaultMode);
        volume.Existing("hostPath")?.Default("type", "");
        foreach (var item in volume.Existing("downwardAPI")?.Items("items") ?? [])
            item.Existing("fieldRef")?.Default("apiVersion", "v1");
        foreach (var projection in volume.Existing("projected")?.Items("sources") ?? [])
        {
            foreach (var item in projection.Existing("downwardAPI")?.Items("items") ?? [])
                item.Existing("fieldRef")?.Default("apiVersion", "v1");
        }
    }

    /// <summary>Always for ":latest" or no tag, IfNotPresent for any other tag or a digest.</summary>
    private static string PullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
            return "IfNotPresent";
        var lastSlash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon <= lastSlash || image[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }
}
