using System.Text.Json.Nodes;

namespace Berth.ApiServer.Defaulting;

/// <summary>Upstream's defaults for the workload kinds of apps/v1 and batch/v1, their pod templates included.</summary>
internal static class WorkloadDefaults
{
    public static void Deployment(JsonObject spec)
    {
        spec.Default("replicas", 1);
        var strategy = spec.Child("strategy");
        strategy.Default("type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = strategy.Child("rollingUpdate");
            rolling.Default("maxUnavailable", "25%");
            rolling.Default("maxSurge", "25%");
        }
        spec.Default("revisionHistoryLimit", 10);
        spec.Default("progressDeadlineSeconds", 600);
        Template(spec);
    }

    public static void ReplicaSet(JsonObject spec)
    {
        spec.Default("replicas", 1);
        Template(spec);
    }

    public static void StatefulSet(JsonObject spec)
    {
        spec.Default("replicas", 1);
        spec.Default("podManagementPolicy", "OrderedReady");
        var strategy = spec.Child("updateStrategy");
        strategy.Default("type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
            strategy.Child("rollingUpdate").Default("partition", 0);
        spec.Default("revisionHistoryLimit", 10);
        var retention = spec.Child("persistentVolumeClaimRetentionPolicy");
        retention.Default("whenDeleted", "Retain");
        retention.Default("whenScaled", "Retain");
        foreach (var claim in spec.Items("volumeClaimTemplates"))
        {
            claim.Child("spec").Default("volumeMode", "Filesystem");
            claim.Child("status").Default("phase", "Pending");
        }
        Template(spec);
    }

    public static void DaemonSet(JsonObject spec)
    {
        var strategy = spec.Child("updateStrategy");
        strategy.Default("type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = strategy.Child("rollingUpdate");
            rolling.Default("maxUnavailable", 1);
            rolling.Default("maxSurge", 0);
        }
        spec.Default("revisionHistoryLimit", 10);
        Template(spec);
    }

    public static void Job(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null)
            spec["completions"] = 1;
        spec.Default("parallelism", 1);
        spec.Default("backoffLimit", 6);
        spec.Default("completionMode", "NonIndexed");
        spec.Default("suspend", false);
        spec.Default("podReplacementPolicy", spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed");
        Template(spec);
    }

    /// <summary>
    /// A new job's selector, unless it asks to choose its own: its pods are labelled with the job's uid and name,
    /// and the selector picks the uid.
    /// </summary>
    public static void JobSelector(JsonObject job)
    {
        var spec = job.Child("spec");
        if (spec["manualSelector"]?.GetValue<bool>() == true)
            return;
        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        var name = job["metadata"]!["name"]?.GetValue<string>() ?? "";
        var labels = spec.Child("template").Child("metadata").Child("labels");
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
        spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
    }

    public static void CronJob(JsonObject spec)
    {
        spec.Default("concurrencyPolicy", "Allow");
        spec.Default("suspend", false);
        spec.Default("successfulJobsHistoryLimit", 3);
        spec.Default("failedJobsHistoryLimit", 1);
        if (spec.Existing("jobTemplate")?.Existing("spec") is { } jobSpec)
            Template(jobSpec);
    }

    /// <summary>The pod template under <c>template</c>: its spec gets the pod defaults.</summary>
    public static void Template(JsonObject owner)
    {
        if (owner.Existing("template")?.Existing("spec") is { } podSpec)
            PodDefaults.Spec(podSpec);
    }
}
