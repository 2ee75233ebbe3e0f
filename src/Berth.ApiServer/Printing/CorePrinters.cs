using System.Text.Json.Nodes;
using static Berth.ApiServer.Printing.Fields;

namespace Berth.ApiServer.Printing;

/// <summary>Printers for the core (v1) kinds, with upstream's columns.</summary>
internal static class CorePrinters
{
    public static IEnumerable<(string Plural, Printer Printer)> All()
    {
        yield return ("namespaces", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Status", "The status of the namespace"), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "status.phase"), Age(o, now)]));

        yield return ("pods", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                TableColumn.Text("Status", "The aggregate status of the containers in this pod."),
                TableColumn.Text("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
                TableColumn.Age,
                TableColumn.Text("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
                TableColumn.Text("Node", "NodeName is a request to schedule this pod onto a specific node.", 1),
                TableColumn.Text("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
                TableColumn.Text("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
            ],
            (o, now) =>
            {
                var (ready, status, restarts) = PodStatusText.Cells(o, now);
                return [Name(o), ready, status, restarts, Age(o, now),
                    OrNone(Text(o, "status.podIP")), OrNone(Text(o, "spec.nodeName")), OrNone(Text(o, "status.nominatedNodeName")), ReadinessGates(o)];
            }));

        yield return ("services", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Type", "The type of the service."),
                TableColumn.Text("Cluster-IP", "The cluster IP of the service."),
                TableColumn.Text("External-IP", "The external IP of the service."),
                TableColumn.Text("Port(s)", "The ports of the service."),
                TableColumn.Age,
                TableColumn.Text("Selector", "Route service traffic to pods with label keys and values matching this selector.", 1),
            ],
            (o, now) => [Name(o), Text(o, "spec.type", "ClusterIP"), OrNone(Text(o, "spec.clusterIP")), ExternalIps(o), ServicePorts(o), Age(o, now),
                MapSelector(At(o, "spec.selector"))]));

        yield return ("endpoints", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Endpoints", "Endpoints of the service."), TableColumn.Age],
            (o, now) => [Name(o), EndpointAddresses(o), Age(o, now)]));

        yield return ("configmaps", new Printer(
            [TableColumn.NameColumn, TableColumn.Integer("Data", "Number of data entries."), TableColumn.Age],
            (o, now) => [Name(o), Count(o, "data") + Count(o, "binaryData"), Age(o, now)]));

        yield return ("secrets", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Type", "The type of the secret."), TableColumn.Integer("Data", "Number of data entries."), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "type", "Opaque"), Count(o, "data"), Age(o, now)]));

        yield return ("serviceaccounts", new Printer(
            [TableColumn.NameColumn, TableColumn.Integer("Secrets", "Number of secrets."), TableColumn.Age],
            (o, now) => [Name(o), Count(o, "secrets"), Age(o, now)]));

        yield return ("nodes", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Status", "The status of the node."),
                TableColumn.Text("Roles", "The roles of the node."),
                TableColumn.Age,
                TableColumn.Text("Version", "Kubelet Version reported by the node."),
                TableColumn.Text("Internal-IP", "List of addresses reachable to the node.", 1),
                TableColumn.Text("External-IP", "List of addresses reachable to the node.", 1),
                TableColumn.Text("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
                TableColumn.Text("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
                TableColumn.Text("Container-Runtime", "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
            ],
            (o, now) => [Name(o), NodeStatus(o), NodeRoles(o), Age(o, now), Text(o, "status.nodeInfo.kubeletVersion"),
                NodeAddress(o, "InternalIP"), NodeAddress(o, "ExternalIP"), OrNone(Text(o, "status.nodeInfo.osImage")),
                OrNone(Text(o, "status.nodeInfo.kernelVersion")), OrNone(Text(o, "status.nodeInfo.containerRuntimeVersion"))]));

        yield return ("events", new Printer(
            [
                TableColumn.Text("Last Seen", "Time when last event occurred"),
                TableColumn.Text("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
                TableColumn.Text("Reason", "This should be a short, machine understandable string that gives the reason for this event being generated."),
                TableColumn.Text("Object", "The object this Event is about."),
                TableColumn.Text("Subobject", "The subobject this Event is about.", 1),
                TableColumn.Text("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
                TableColumn.Text("Message", "A human-readable description of the status of this operation."),
                TableColumn.Text("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
                TableColumn.Integer("Count", "The number of times this event has occurred.", 1),
                TableColumn.Text("Name", "Name must be unique within a namespace.", 1),
            ],
            (o, now) => [EventLastSeen(o, now), Text(o, "type"), Text(o, "reason"),
                $"{Text(o, "involvedObject.kind").ToLowerInvariant()}/{Text(o, "involvedObject.name")}", Text(o, "involvedObject.fieldPath"),
                EventSource(o), Text(o, "message"), Since(Time(o, "firstTimestamp") ?? Time(o, "eventTime"), now), Math.Max(1, Number(o, "count")), Name(o)]));

        yield return ("persistentvolumes", new Printer(
            [
                TableColumn.NameColumn, TableColumn.Text("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
                TableColumn.Text("Access Modes", "accessModes contains all ways the volume can be mounted."),
                TableColumn.Text("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
                TableColumn.Text("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
                TableColumn.Text("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
                TableColumn.Text("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs."),
                TableColumn.Text("VolumeAttributesClass", "Name of VolumeAttributesClass to which this persistent volume belongs."),
                TableColumn.Text("Reason", "reason is a brief CamelCase string that describes any failure."),
                TableColumn.Age,
                TableColumn.Text("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
            ],
            (o, now) => [Name(o), Text(o, "spec.capacity.storage"), AccessModes(o), Text(o, "spec.persistentVolumeReclaimPolicy", "Retain"),
                Text(o, "status.phase"), ClaimRef(o), Text(o, "spec.storageClassName"), OrNone(Text(o, "spec.volumeAttributesClassName")),
                Text(o, "status.reason"), Age(o, now), Text(o, "spec.volumeMode", "Filesystem")]));

        yield return ("persistentvolumeclaims", new Printer(
            [
                TableColumn.NameColumn, TableColumn.Text("Status", "phase represents the current phase of PersistentVolumeClaim."),
                TableColumn.Text("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
                TableColumn.Text("Capacity", "capacity represents the actual resources of the underlying volume."),
                TableColumn.Text("Access Modes", "accessModes contains the desired access modes the volume should have."),
                TableColumn.Text("StorageClass", "storageClassName is the name of the StorageClass required by the claim."),
                TableColumn.Text("VolumeAttributesClass", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
                TableColumn.Age,
                TableColumn.Text("VolumeMode", "volumeMode defines what type of volume is required by the claim.", 1),
            ],
            (o, now) => [Name(o), Text(o, "status.phase"), Text(o, "spec.volumeName"), Text(o, "status.capacity.storage"), AccessModes(o),
                Text(o, "spec.storageClassName"), OrNone(Text(o, "spec.volumeAttributesClassName")), Age(o, now), Text(o, "spec.volumeMode", "Filesystem")]));

        yield return ("resourcequotas", new Printer(
            [TableColumn.NameColumn, TableColumn.Age, TableColumn.Text("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
                TableColumn.Text("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.")],
            (o, now) => [Name(o), Age(o, now), QuotaUsage(o, limits: false), QuotaUsage(o, limits: true)]));

        yield return ("podtemplates", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Containers", "Names of each container in the template."),
                TableColumn.Text("Images", "Images referenced by each container in the template."), TableColumn.Text("Pod Labels", "The labels for the pod template.")],
            (o, _) => [Name(o), Containers(At(o, "template.spec")), Images(At(o, "template.spec")), MapSelector(At(o, "template.metadata.labels"))]));
    }

    private static string ReadinessGates(JsonObject pod)
    {
        var gates = Array(pod, "spec.readinessGates");
        if (gates.Count == 0)
            return None;
        var conditions = Array(pod, "status.conditions");
        var ready = gates.Count(g => conditions.Any(c => Text(c, "type") == Text(g, "conditionType") && Text(c, "status") == "True"));
        return $"{ready}/{gates.Count}";
    }

    private static string ExternalIps(JsonObject service)
    {
        var ips = Array(service, "spec.externalIPs").Select(i => i?.ToString() ?? "").ToList();
        var type = Text(service, "spec.type", "ClusterIP");
        if (type == "ExternalName")
            return Text(service, "spec.externalName");
        if (type == "LoadBalancer")
        {
            ips.AddRange(Array(service, "status.loadBalancer.ingress").Select(i => Text(i, "ip") is { Length: > 0 } ip ? ip : Text(i, "hostname")));
            return ips.Count > 0 ? string.Join(",", ips) : "<pending>";
        }
        return ips.Count > 0 ? string.Join(",", ips) : None;
    }

    private static string ServicePorts(JsonObject service)
    {
        var ports = Array(service, "spec.ports").Select(p =>
        {
            var port = $"{Text(p, "port")}/{Text(p, "protocol", "TCP")}";
            return Text(p, "nodePort") is { Length: > 0 } nodePort ? $"{Text(p, "port")}:{nodePort}/{Text(p, "protocol", "TCP")}" : port;
        }).ToList();
        return ports.Count > 0 ? string.Join(",", ports) : None;
    }

    private static string EndpointAddresses(JsonObject endpoints)
    {
        var all = new List<string>();
        foreach (var subset in Array(endpoints, "subsets"))
        {
            var ports = Array(subset, "ports");
            foreach (var address in Array(subset, "addresses"))
            {
                if (ports.Count == 0)
                    all.Add(Text(address, "ip"));
                else
                    all.AddRange(ports.Select(p => $"{Text(address, "ip")}:{Text(p, "port")}"));
            }
        }
        if (all.Count == 0)
            return None;
        return all.Count > 3 ? string.Join(",", all.Take(3)) + $" + {all.Count - 3} more..." : string.Join(",", all);
    }

    private static string NodeStatus(JsonObject node)
    {
        var ready = Array(node, "status.conditions").FirstOrDefault(c => Text(c, "type") == "Ready");
        var status = ready is null ? "Unknown" : Text(ready, "status") == "True" ? "Ready" : "NotReady";
        if (At(node, "spec.unschedulable") is JsonValue v && v.GetValue<bool>())
            status += ",SchedulingDisabled";
        return status;
    }

    private static string NodeRoles(JsonObject node)
    {
        const string Prefix = "node-role.kubernetes.io/";
        var roles = (At(node, "metadata.labels") as JsonObject ?? [])
            .Where(l => l.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(l => l.Key[Prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        return roles.Count > 0 ? string.Join(",", roles) : None;
    }

    private static string NodeAddress(JsonObject node, string type) =>
        OrNone(Array(node, "status.addresses").Where(a => Text(a, "type") == type).Select(a => Text(a, "address")).FirstOrDefault() ?? "");

    private static string EventLastSeen(JsonObject e, DateTimeOffset now) =>
        Since(Time(e, "lastTimestamp") ?? Time(e, "series.lastObservedTime") ?? Time(e, "eventTime") ?? Time(e, "metadata.creationTimestamp"), now);

    private static string EventSource(JsonObject e)
    {
        var component = Text(e, "source.component");
        if (component.Length == 0)
            component = Text(e, "reportingComponent");
        var host = Text(e, "source.host");
        return host.Length > 0 ? $"{component}, {host}" : component;
    }

    private static string AccessModes(JsonObject o)
    {
        var modes = Array(o, "spec.accessModes").Select(m => m?.ToString() switch
        {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            var other => other ?? "",
        });
        return string.Join(",", modes);
    }

    private static string ClaimRef(JsonObject pv) =>
        At(pv, "spec.claimRef") is JsonObject claim ? $"{Text(claim, "namespace")}/{Text(claim, "name")}" : "";

    private static string QuotaUsage(JsonObject quota, bool limits)
    {
        var hard = At(quota, "status.hard") as JsonObject ?? At(quota, "spec.hard") as JsonObject ?? [];
        var used = At(quota, "status.used") as JsonObject ?? [];
        var parts = hard.Where(h => h.Key.StartsWith("limits.", StringComparison.Ordinal) == limits)
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {used[h.Key]?.ToString() ?? "0"}/{h.Value}");
        return string.Join(", ", parts);
    }
}
