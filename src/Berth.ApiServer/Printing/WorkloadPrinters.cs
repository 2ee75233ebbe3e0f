using System.Text.Json.Nodes;
using static Berth.ApiServer.Printing.Fields;

namespace Berth.ApiServer.Printing;

/// <summary>Printers for the apps/v1 and batch/v1 workload kinds, with upstream's columns.</summary>
internal static class WorkloadPrinters
{
    private static readonly TableColumn ContainersColumn = TableColumn.Text("Containers", "Names of each container in the template.", 1);
    private static readonly TableColumn ImagesColumn = TableColumn.Text("Images", "Images referenced by each container in the template.", 1);
    private static readonly TableColumn SelectorColumn = TableColumn.Text("Selector", "Label selector for pods.", 1);

    public static IEnumerable<(string Group, string Plural, Printer Printer)> All()
    {
        yield return ("apps", "deployments", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Ready", "Number of the pod with ready state"),
                TableColumn.Integer("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                TableColumn.Integer("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                TableColumn.Age, ContainersColumn, ImagesColumn, SelectorColumn,
            ],
            (o, now) => [Name(o), $"{Number(o, "status.readyReplicas")}/{Replicas(o)}", Number(o, "status.updatedReplicas"),
                Number(o, "status.availableReplicas"), Age(o, now), Containers(At(o, "spec.template.spec")), Images(At(o, "spec.template.spec")),
                Selector(At(o, "spec.selector"))]));

        yield return ("apps", "replicasets", ReplicaPrinter(Selector));
        yield return ("", "replicationcontrollers", ReplicaPrinter(MapSelector));

        yield return ("apps", "statefulsets", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Ready", "Number of the pod with ready state"), TableColumn.Age, ContainersColumn, ImagesColumn],
            (o, now) => [Name(o), $"{Number(o, "status.readyReplicas")}/{Replicas(o)}", Age(o, now),
                Containers(At(o, "spec.template.spec")), Images(At(o, "spec.template.spec"))]));

        yield return ("apps", "daemonsets", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Integer("Desired", "The total number of nodes that should be running the daemon pod."),
                TableColumn.Integer("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
                TableColumn.Integer("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
                TableColumn.Integer("Up-to-date", "The total number of nodes that are running updated daemon pod"),
                TableColumn.Integer("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
                TableColumn.Text("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
                TableColumn.Age, ContainersColumn, ImagesColumn, SelectorColumn,
            ],
            (o, now) => [Name(o), Number(o, "status.desiredNumberScheduled"), Number(o, "status.currentNumberScheduled"), Number(o, "status.numberReady"),
                Number(o, "status.updatedNumberScheduled"), Number(o, "status.numberAvailable"), MapSelector(At(o, "spec.template.spec.nodeSelector")),
                Age(o, now), Containers(At(o, "spec.template.spec")), Images(At(o, "spec.template.spec")), Selector(At(o, "spec.selector"))]));

        yield return ("apps", "controllerrevisions", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Controller", "Controller of the object"), TableColumn.Integer("Revision", "Revision of the ControllerRevision"), TableColumn.Age],
            (o, now) => [Name(o), ControllerOf(o), Number(o, "revision"), Age(o, now)]));

        yield return ("batch", "jobs", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Status", "Status of the job."),
                TableColumn.Text("Completions", "The desired number of successfully finished pods the job should be run with."),
                TableColumn.Text("Duration", "Time required to complete the job."),
                TableColumn.Age, ContainersColumn, ImagesColumn, SelectorColumn,
            ],
            (o, now) => [Name(o), JobStatus(o), JobCompletions(o), JobDuration(o, now), Age(o, now),
                Containers(At(o, "spec.template.spec")), Images(At(o, "spec.template.spec")), Selector(At(o, "spec.selector"))]));

        yield return ("batch", "cronjobs", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
                TableColumn.Text("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
                TableColumn.Text("Suspend", "This flag tells the controller to suspend subsequent executions."),
                TableColumn.Integer("Active", "A list of pointers to currently running jobs."),
                TableColumn.Text("Last Schedule", "Information when was the last time the job was successfully scheduled."),
                TableColumn.Age, ContainersColumn, ImagesColumn, SelectorColumn,
            ],
            (o, now) => [Name(o), Text(o, "spec.schedule"), OrNone(Text(o, "spec.timeZone")), Text(o, "spec.suspend", "False") is "true" ? "True" : "False",
                Count(o, "status.active"), Time(o, "status.lastScheduleTime") is { } last ? HumanDuration.Format(now - last) : None, Age(o, now),
                Containers(At(o, "spec.jobTemplate.spec.template.spec")), Images(At(o, "spec.jobTemplate.spec.template.spec")),
                Selector(At(o, "spec.jobTemplate.spec.selector"))]));
    }

    private static long Replicas(JsonObject o) => At(o, "spec.replicas") is JsonValue v && v.TryGetValue<long>(out var n) ? n : 1;

    private static string ControllerOf(JsonObject o)
    {
        var owner = Array(o, "metadata.ownerReferences").FirstOrDefault(r => At(r, "controller") is JsonValue v && v.GetValue<bool>());
        return owner is null ? None : $"{Text(owner, "kind").ToLowerInvariant()}.{Text(owner, "apiVersion").Split('/')[0]}/{Text(owner, "name")}";
    }

    private static string JobStatus(JsonObject job)
    {
        var conditions = Array(job, "status.conditions");
        bool Has(string type) => conditions.Any(c => Text(c, "type") == type && Text(c, "status") == "True");
        if (Has("Complete"))
            return "Complete";
        if (Has("Failed"))
            return "Failed";
        if (At(job, "metadata.deletionTimestamp") is not null)
            return "Terminating";
        if (Has("SuccessCriteriaMet"))
            return "SuccessCriteriaMet";
        if (Has("FailureTarget"))
            return "FailureTarget";
        if (Has("Suspended"))
            return "Suspended";
        return "Running";
    }

    private static string JobCompletions(JsonObject job)
    {
        var succeeded = Number(job, "status.succeeded");
        if (At(job, "spec.completions") is JsonValue v && v.TryGetValue<long>(out var completions))
            return $"{succeeded}/{completions}";
        var parallelism = At(job, "spec.parallelism") is JsonValue p && p.TryGetValue<long>(out var n) ? n : 1;
        return parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
    }

    private static string JobDuration(JsonObject job, DateTimeOffset now)
    {
        if (Time(job, "status.startTime") is not { } start)
            return "";
        var end = Time(job, "status.completionTime") ?? now;
        return HumanDuration.Format(end - start);
    }

    /// <summary>Replica sets and replication controllers print alike; only their selectors are shaped differently.</summary>
    private static Printer ReplicaPrinter(Func<System.Text.Json.Nodes.JsonNode?, string> selector) => new(
        [
            TableColumn.NameColumn,
            TableColumn.Integer("Desired", "Number of desired pods."),
            TableColumn.Integer("Current", "Number of actual pods."),
            TableColumn.Integer("Ready", "Number of ready pods."),
            TableColumn.Age, ContainersColumn, ImagesColumn, SelectorColumn,
        ],
        (o, now) => [Name(o), Replicas(o), Number(o, "status.replicas"), Number(o, "status.readyReplicas"), Age(o, now),
            Containers(At(o, "spec.template.spec")), Images(At(o, "spec.template.spec")), selector(At(o, "spec.selector"))]);
}
