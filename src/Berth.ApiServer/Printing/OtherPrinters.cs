using System.Text.Json.Nodes;
using static Berth.ApiServer.Printing.Fields;

namespace Berth.ApiServer.Printing;

/// <summary>Printers for the remaining groups (networking, rbac, storage, scheduling, policy, ...), with upstream's columns.</summary>
internal static class OtherPrinters
{
    public static IEnumerable<(string Group, string Plural, Printer Printer)> All()
    {
        yield return ("autoscaling", "horizontalpodautoscalers", new Printer(
            [
                TableColumn.NameColumn,
                TableColumn.Text("Reference", "reference to the target object"),
                TableColumn.Text("Targets", "the current and target metrics"),
                TableColumn.Text("MinPods", "the minimum number of replicas"),
                TableColumn.Integer("MaxPods", "the maximum number of replicas"),
                TableColumn.Integer("Replicas", "the current number of replicas"),
                TableColumn.Age,
            ],
            (o, now) => [Name(o), $"{Text(o, "spec.scaleTargetRef.kind")}/{Text(o, "spec.scaleTargetRef.name")}",
                Count(o, "spec.metrics") == 0 ? None : $"<unknown>/{Count(o, "spec.metrics")} metrics",
                Text(o, "spec.minReplicas", "1"), Number(o, "spec.maxReplicas"), Number(o, "status.currentReplicas"), Age(o, now)]));

        yield return ("coordination.k8s.io", "leases", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Holder", "The holder of the lease."), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "spec.holderIdentity"), Age(o, now)]));

        yield return ("discovery.k8s.io", "endpointslices", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("AddressType", "The IP protocol for this slice."),
                TableColumn.Text("Ports", "The ports exposed by this slice."), TableColumn.Text("Endpoints", "The endpoints of this slice."), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "addressType"), SlicePorts(o), SliceEndpoints(o), Age(o, now)]));

        yield return ("policy", "poddisruptionbudgets", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Min Available", "The minimum number of pods that must be available."),
                TableColumn.Text("Max Unavailable", "The maximum number of pods that may be unavailable."),
                TableColumn.Integer("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "spec.minAvailable", "N/A"), Text(o, "spec.maxUnavailable", "N/A"), Number(o, "status.disruptionsAllowed"), Age(o, now)]));

        yield return ("networking.k8s.io", "ingresses", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Class", "The name of the IngressClass resource."),
                TableColumn.Text("Hosts", "Hosts that incoming requests are matched against before the rule is applied."),
                TableColumn.Text("Address", "Address is a list containing ingress points for the load-balancer."),
                TableColumn.Text("Ports", "Ports of TLS configurations that open"), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "spec.ingressClassName", "<none>"), IngressHosts(o),
                string.Join(",", Array(o, "status.loadBalancer.ingress").Select(i => Text(i, "ip") is { Length: > 0 } ip ? ip : Text(i, "hostname"))),
                Count(o, "spec.tls") > 0 ? "80, 443" : "80", Age(o, now)]));

        yield return ("networking.k8s.io", "ingressclasses", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Controller", "Controller that is responsible for handling this class"),
                TableColumn.Text("Parameters", "A reference to a resource with additional parameters"), TableColumn.Age],
            (o, now) => [Name(o), Text(o, "spec.controller"), At(o, "spec.parameters") is JsonObject p ? $"{Text(p, "kind")}/{Text(p, "name")}" : None, Age(o, now)]));

        yield return ("networking.k8s.io", "networkpolicies", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."), TableColumn.Age],
            (o, now) => [Name(o), Selector(At(o, "spec.podSelector")), Age(o, now)]));

        yield return ("rbac.authorization.k8s.io", "roles", CreatedAt());
        yield return ("rbac.authorization.k8s.io", "clusterroles", CreatedAt());
        yield return ("rbac.authorization.k8s.io", "rolebindings", Binding());
        yield return ("rbac.authorization.k8s.io", "clusterrolebindings", Binding());

        yield return ("scheduling.k8s.io", "priorityclasses", new Printer(
            [TableColumn.NameColumn, TableColumn.Integer("Value", "The value of this priority class."),
                TableColumn.Text("Global-Default", "globalDefault specifies whether this PriorityClass should be considered as the default priority."),
                TableColumn.Age, TableColumn.Text("PreemptionPolicy", "The policy for preempting pods with lower priority.")],
            (o, now) => [Name(o), Number(o, "value"), Text(o, "globalDefault", "false") == "true" ? "true" : "false", Age(o, now),
                Text(o, "preemptionPolicy", "PreemptLowerPriority")]));

        yield return ("storage.k8s.io", "storageclasses", new Printer(
            [TableColumn.NameColumn, TableColumn.Text("Provisioner", "Indicates the type of the provisioner."),
                TableColumn.Text("ReclaimPolicy", "Indicates the type of the reclaim policy."),
                TableColumn.Text("VolumeBindingMode", "Indicates how PersistentVolumeClaims should be provisioned and bound."),
                TableColumn.Text("AllowVolumeExpansion", "Indicates whether the storage class allow volume expand."), TableColumn.Age],
            (o, now) => [StorageClassName(o), Text(o, "provisioner"), Text(o, "reclaimPolicy", "Delete"), Text(o, "volumeBindingMode", "Immediate"),
                Text(o, "allowVolumeExpansion", "false"), Age(o, now)]));

        yield return ("certificates.k8s.io", "certificatesigningrequests", new Printer(
            [TableColumn.NameColumn, TableColumn.Age, TableColumn.Text("SignerName", "Name of the signer"),
                TableColumn.Text("Requestor", "Name of the requestor"), TableColumn.Text("RequestedDuration", "Requested duration"),
                TableColumn.Text("Condition", "Condition of the CSR")],
            (o, now) => [Name(o), Age(o, now), Text(o, "spec.signerName"), Text(o, "spec.username"),
                Number(o, "spec.expirationSeconds") is > 0 and var s ? HumanDuration.Format(TimeSpan.FromSeconds(s)) : None, CsrCondition(o)]));
    }

    private static Printer CreatedAt() => new(
        [TableColumn.NameColumn, new TableColumn("Created At", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.")],
        (o, _) => [Name(o), Text(o, "metadata.creationTimestamp")]);

    private static Printer Binding() => new(
        [TableColumn.NameColumn, TableColumn.Text("Role", "Role"), TableColumn.Age,
            TableColumn.Text("Users", "Users in the roleBinding", 1), TableColumn.Text("Groups", "Groups in the roleBinding", 1),
            TableColumn.Text("ServiceAccounts", "ServiceAccounts in the roleBinding", 1)],
        (o, now) => [Name(o), $"{Text(o, "roleRef.kind")}/{Text(o, "roleRef.name")}", Age(o, now), Subjects(o, "User"), Subjects(o, "Group"),
            string.Join(", ", Array(o, "subjects").Where(s => Text(s, "kind") == "ServiceAccount").Select(s => $"{Text(s, "namespace")}/{Text(s, "name")}"))]);

    private static string Subjects(JsonObject binding, string kind) =>
        string.Join(", ", Array(binding, "subjects").Where(s => Text(s, "kind") == kind).Select(s => Text(s, "name")));

    private static string StorageClassName(JsonObject o) =>
        (At(o, "metadata.annotations") as JsonObject)?["storageclass.kubernetes.io/is-default-class"]?.ToString() == "true"
            ? $"{Name(o)} (default)"
            : Name(o);

    private static string SlicePorts(JsonObject slice)
    {
        var ports = Array(slice, "ports").Select(p => Text(p, "port")).Where(p => p.Length > 0).ToList();
        return ports.Count == 0 ? "<unset>" : string.Join(",", ports);
    }

    private static string SliceEndpoints(JsonObject slice)
    {
        var addresses = Array(slice, "endpoints").SelectMany(e => Array(e, "addresses")).Select(a => a?.ToString() ?? "").ToList();
        if (addresses.Count == 0)
            return "<unset>";
        return addresses.Count > 3 ? string.Join(",", addresses.Take(3)) + $" + {addresses.Count - 3} more..." : string.Join(",", addresses);
    }

    private static string IngressHosts(JsonObject ingress)
    {
        var hosts = Array(ingress, "spec.rules").Select(r => Text(r, "host")).Where(h => h.Length > 0).ToList();
        if (hosts.Count == 0)
            return "*";
        return hosts.Count > 4 ? string.Join(",", hosts.Take(4)) + $" + {hosts.Count - 4} more..." : string.Join(",", hosts);
    }

    private static string CsrCondition(JsonObject csr)
    {
        var types = Array(csr, "status.conditions").Select(c => Text(c, "type")).Where(t => t.Length > 0).ToList();
        if (types.Count == 0)
            return "Pending";
        var text = string.Join(",", types);
        return At(csr, "status.certificate") is JsonValue ? text + ",Issued" : text;
    }
}
