namespace Berth.Core.Resources;

/// <summary>
/// The built-in resources Berth serves. Routing, discovery, storage keys, scope, short names, categories and
/// subresources all come from here: adding a kind is one line (plus its strategy where it has special rules).
/// Facts of the Kubernetes 1.33 API; the order within a group is discovery's order.
/// </summary>
public sealed class ResourceTable
{
    private static readonly string[] StatusVerbs = ["get", "patch", "update"];

    /// <summary>Groups and resources whose objects carry metadata.generation upstream.</summary>
    private static readonly HashSet<string> GenerationTracking =
        ["apps", "batch", "autoscaling", "policy", "ingresses", "networkpolicies", "customresourcedefinitions", "replicationcontrollers"];

    private readonly Dictionary<(string Group, string Version, string Plural), ResourceInfo> _byPath = [];

    public ResourceTable(IEnumerable<ResourceInfo> resources)
    {
        All = [.. resources];
        foreach (var r in All)
            _byPath.Add((r.Group, r.Version, r.Plural), r);
        Groups = [.. All.Select(r => r.Group).Distinct()];
    }

    public static ResourceTable BuiltIn { get; } = new(BuiltInResources());

    public IReadOnlyList<ResourceInfo> All { get; }

    /// <summary>Group names in discovery order, the core group ("") first.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>This table's built-in resources and <paramref name="custom"/> ones in place of any it served before.</summary>
    public ResourceTable WithCustom(IEnumerable<ResourceInfo> custom) => new([.. All.Where(r => r.Custom is null), .. custom]);

    public ResourceInfo? Find(string group, string version, string plural) =>
        _byPath.GetValueOrDefault((group, version, plural));

    public IEnumerable<ResourceInfo> InGroupVersion(string group, string version) =>
        All.Where(r => r.Group == group && r.Version == version);

    public IEnumerable<string> VersionsOf(string group) => All.Where(r => r.Group == group).Select(r => r.Version).Distinct();

    private static IEnumerable<ResourceInfo> BuiltInResources()
    {
        // core/v1
        yield return Cluster("", "v1", "Namespace", "namespaces", ["ns"], status: true, extra: [Sub("finalize", "", "v1", "Namespace", "update")]);
        yield return Namespaced("", "v1", "Pod", "pods", ["po"], ["all"], status: true,
            extra: [Sub("binding", "", "v1", "Binding", "create"), Sub("eviction", "policy", "v1", "Eviction", "create"), Sub("log", "", "v1", "Pod", "get"),
                Sub("exec", "", "v1", "PodExecOptions", "create", "get"), Sub("attach", "", "v1", "PodAttachOptions", "create", "get"),
                Sub("portforward", "", "v1", "PodPortForwardOptions", "create", "get")]);
        yield return Namespaced("", "v1", "ReplicationController", "replicationcontrollers", ["rc"], ["all"], status: true, scale: true);
        yield return Namespaced("", "v1", "Service", "services", ["svc"], ["all"], status: true);
        yield return Namespaced("", "v1", "Endpoints", "endpoints", ["ep"]);
        yield return Namespaced("", "v1", "ConfigMap", "configmaps", ["cm"]);
        yield return Namespaced("", "v1", "Secret", "secrets");
        yield return Namespaced("", "v1", "ServiceAccount", "serviceaccounts", ["sa"],
            extra: [Sub("token", "authentication.k8s.io", "v1", "TokenRequest", "create")]);
        yield return Cluster("", "v1", "Node", "nodes", ["no"], status: true);
        yield return Namespaced("", "v1", "Event", "events", ["ev"]) with { Cached = false };
        yield return Cluster("", "v1", "PersistentVolume", "persistentvolumes", ["pv"], status: true);
        yield return Namespaced("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ["pvc"], status: true);
        yield return Namespaced("", "v1", "LimitRange", "limitranges", ["limits"]);
        yield return Namespaced("", "v1", "ResourceQuota", "resourcequotas", ["quota"], status: true);
        yield return Namespaced("", "v1", "PodTemplate", "podtemplates");

        // apps/v1
        yield return Namespaced("apps", "v1", "DaemonSet", "daemonsets", ["ds"], ["all"], status: true);
        yield return Namespaced("apps", "v1", "Deployment", "deployments", ["deploy"], ["all"], status: true, scale: true);
        yield return Namespaced("apps", "v1", "ReplicaSet", "replicasets", ["rs"], ["all"], status: true, scale: true);
        yield return Namespaced("apps", "v1", "StatefulSet", "statefulsets", ["sts"], ["all"], status: true, scale: true);
        yield return Namespaced("apps", "v1", "ControllerRevision", "controllerrevisions");

        // batch/v1
        yield return Namespaced("batch", "v1", "Job", "jobs", [], ["all"], status: true);
        yield return Namespaced("batch", "v1", "CronJob", "cronjobs", ["cj"], ["all"], status: true);

        yield return Namespaced("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ["hpa"], ["all"], status: true);
        yield return Namespaced("coordination.k8s.io", "v1", "Lease", "leases");
        yield return Namespaced("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices");
        yield return Namespaced("events.k8s.io", "v1", "Event", "events", ["ev"]) with { Cached = false };
        yield return Namespaced("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ["pdb"], status: true);

        yield return Namespaced("networking.k8s.io", "v1", "Ingress", "ingresses", ["ing"], status: true);
        yield return Cluster("networking.k8s.io", "v1", "IngressClass", "ingressclasses");
        yield return Namespaced("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", ["netpol"]);

        yield return Namespaced("rbac.authorization.k8s.io", "v1", "Role", "roles");
        yield return Namespaced("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings");
        yield return Cluster("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles");
        yield return Cluster("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings");

        yield return Cluster("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ["pc"]);
        yield return Cluster("storage.k8s.io", "v1", "StorageClass", "storageclasses", ["sc"]);
        yield return Cluster("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", ["csr"], status: true,
            extra: [Sub("approval", "certificates.k8s.io", "v1", "CertificateSigningRequest", StatusVerbs)]);
        yield return Cluster("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", ["crd", "crds"], status: true);

        // Usage read from the nodes' agents when asked, as upstream's metrics-server serves it: read-only, not stored.
        yield return Cluster("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes") with { Verbs = ["get", "list"], Stored = false };
        yield return Namespaced("metrics.k8s.io", "v1beta1", "PodMetrics", "pods") with { Verbs = ["get", "list"], Stored = false };
    }

    private static ResourceInfo Namespaced(string group, string version, string kind, string plural,
        string[]? shortNames = null, string[]? categories = null, bool status = false, bool scale = false, SubresourceInfo[]? extra = null) =>
        Make(group, version, kind, plural, namespaced: true, shortNames, categories, status, scale, extra);

    private static ResourceInfo Cluster(string group, string version, string kind, string plural,
        string[]? shortNames = null, bool status = false, SubresourceInfo[]? extra = null) =>
        Make(group, version, kind, plural, namespaced: false, shortNames, null, status, scale: false, extra);

    private static ResourceInfo Make(string group, string version, string kind, string plural, bool namespaced,
        string[]? shortNames, string[]? categories, bool status, bool scale, SubresourceInfo[]? extra)
    {
        var subresources = new List<SubresourceInfo>();
        if (status)
            subresources.Add(Sub("status", group, version, kind, StatusVerbs));
        if (scale)
            subresources.Add(Sub("scale", "autoscaling", "v1", "Scale", StatusVerbs));
        subresources.AddRange(extra ?? []);
        return new ResourceInfo(group, version, kind, plural, kind.ToLowerInvariant(), namespaced,
            shortNames ?? [], categories ?? [], subresources)
        {
            TracksGeneration = GenerationTracking.Contains(group) || GenerationTracking.Contains(plural),
        };
    }

    private static SubresourceInfo Sub(string name, string group, string version, string kind, params string[] verbs) =>
        new(name, group, version, kind, verbs);
}
