using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Realistic manifests of many kinds through the real kubectl, applied client-side and server-side: created, then
/// unchanged when applied again, then changed exactly as the edited manifest says.
/// </summary>
public sealed class ApplyRoundTripTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Manifests = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: shop-config, labels: {app: shop}}
        data: {LOG_LEVEL: info, FEATURES: "a,b"}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: shop-db}
        type: Opaque
        data: {password: czNjcjN0}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: shop}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: shop, labels: {app: shop}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: shop}}
          template:
            metadata: {labels: {app: shop}}
            spec:
              serviceAccountName: shop
              containers:
              - name: web
                image: registry.local/shop:1.0
                ports: [{name: http, containerPort: 8080}]
                env:
                - {name: DB_HOST, value: db}
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: shop-db, key: password}}
                envFrom: [{configMapRef: {name: shop-config}}]
                resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
                readinessProbe: {httpGet: {path: /ready, port: http}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: shop}
        spec:
          selector: {app: shop}
          ports: [{name: http, port: 80, targetPort: http}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          serviceName: db
          replicas: 1
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers:
              - name: postgres
                image: registry.local/postgres:16
                volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
          volumeClaimTemplates:
          - metadata: {name: data}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly-report}
        spec:
          schedule: "0 2 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: report, image: registry.local/report:1}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: shop}
        spec:
          rules:
          - host: shop.example.com
            http:
              paths:
              - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: shop-reader}
        rules:
        - {apiGroups: [""], resources: [configmaps, secrets], verbs: [get, list, watch]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: shop-reader}
        subjects: [{kind: ServiceAccount, name: shop}]
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shop-reader}
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: shop}
        spec:
          minAvailable: 1
          selector: {matchLabels: {app: shop}}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop}
          minReplicas: 2
          maxReplicas: 5
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: shop}
        spec:
          podSelector: {matchLabels: {app: shop}}
          ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}], ports: [{protocol: TCP, port: 8080}]}]
        """;

    private static readonly string[] Objects =
    [
        "configmap/shop-config", "secret/shop-db", "serviceaccount/shop", "deployment.apps/shop", "service/shop", "statefulset.apps/db",
        "cronjob.batch/nightly-report", "ingress.networking.k8s.io/shop", "role.rbac.authorization.k8s.io/shop-reader",
        "rolebinding.rbac.authorization.k8s.io/shop-reader", "poddisruptionbudget.policy/shop", "horizontalpodautoscaler.autoscaling/shop",
        "networkpolicy.networking.k8s.io/shop",
    ];

    private readonly TempDirectory _files = new("roundtrip");
    private readonly string _ns = "rt-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task ClientSideApply_WhenAppliedTwiceThenEdited_ThenCreatedUnchangedAndExactlyTheEdit()
    {
        await Kubectl.SucceedAsync("create", "namespace", _ns);
        var manifest = await _files.WriteAsync(Manifests);

        Assert.Equal(Lines("created"), (await Kubectl.SucceedAsync("apply", "-f", manifest, "-n", _ns)).Out);
        Assert.Equal(Unchanged, (await Kubectl.SucceedAsync("apply", "-f", manifest, "-n", _ns)).Out);

        // Edit: an env var goes, a port and a label come, the service gets a second port, a rule loses a verb.
        var edited = await _files.WriteAsync(Manifests
            .Replace("        - {name: DB_HOST, value: db}\n", "", StringComparison.Ordinal)
            .Replace("ports: [{name: http, containerPort: 8080}]", "ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]", StringComparison.Ordinal)
            .Replace("metadata: {name: shop, labels: {app: shop}}", "metadata: {name: shop, labels: {app: shop, tier: web}}", StringComparison.Ordinal)
            .Replace("ports: [{name: http, port: 80, targetPort: http}]", "ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090}]", StringComparison.Ordinal)
            .Replace("verbs: [get, list, watch]", "verbs: [get, list]", StringComparison.Ordinal));
        var diff = await Kubectl.RunAsync("diff", "-f", edited, "-n", _ns);
        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("-        - name: DB_HOST\n-          value: db\n", diff.Out, StringComparison.Ordinal);

        var applied = (await Kubectl.SucceedAsync("apply", "-f", edited, "-n", _ns)).Out;
        Assert.Contains("deployment.apps/shop configured", applied, StringComparison.Ordinal);
        Assert.Contains("service/shop configured", applied, StringComparison.Ordinal);
        Assert.Contains("configmap/shop-config unchanged", applied, StringComparison.Ordinal);

        var container = (await GetAsync("deployment/shop"))["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal(["DB_PASSWORD"], container["env"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal([8080, 9090], container["ports"]!.AsArray().Select(p => p!["containerPort"]!.GetValue<int>()));
        Assert.Equal("web", (await GetAsync("deployment/shop"))["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        var servicePorts = (await GetAsync("service/shop"))["spec"]!["ports"]!.AsArray();
        Assert.Equal(["http", "metrics"], servicePorts.Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal(9090, servicePorts[1]!["targetPort"]!.GetValue<int>());
        Assert.Equal(["get", "list"], (await GetAsync("role/shop-reader"))["rules"]![0]!["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(Unchanged, (await Kubectl.SucceedAsync("apply", "-f", edited, "-n", _ns)).Out);
    }

    [Fact]
    public async Task ServerSideApply_WhenAppliedTwiceThenEdited_ThenNoChangeAndThenExactlyTheEdit()
    {
        await Kubectl.SucceedAsync("create", "namespace", _ns);
        var manifest = await _files.WriteAsync(Manifests);

        Assert.Equal(Lines("serverside-applied"), (await Kubectl.SucceedAsync("apply", "--server-side", "-f", manifest, "-n", _ns)).Out);
        var versions = await VersionsAsync();
        await Kubectl.SucceedAsync("apply", "--server-side", "-f", manifest, "-n", _ns);
        Assert.Equal(versions, await VersionsAsync());
        Assert.Equal(0, (await Kubectl.RunAsync("diff", "--server-side", "-f", manifest, "-n", _ns)).ExitCode);

        var edited = await _files.WriteAsync(Manifests
            .Replace("data: {LOG_LEVEL: info, FEATURES: \"a,b\"}", "data: {LOG_LEVEL: debug}", StringComparison.Ordinal)
            .Replace("  minAvailable: 1\n", "  maxUnavailable: 1\n", StringComparison.Ordinal));
        await Kubectl.SucceedAsync("apply", "--server-side", "-f", edited, "-n", _ns);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"LOG_LEVEL":"debug"}"""), (await GetAsync("configmap/shop-config"))["data"]));
        var budget = (await GetAsync("poddisruptionbudget/shop"))["spec"]!;
        Assert.Null(budget["minAvailable"]);
        Assert.Equal(1, budget["maxUnavailable"]!.GetValue<int>());
    }

    public void Dispose() => _files.Dispose();

    /// <summary>
    /// What applying the manifest again prints. The stateful set is "configured" every time, as against upstream: its
    /// volumeClaimTemplates list is atomic, and the server defaults the claims in it (volumeMode, status), so kubectl
    /// finds the live list different from the manifest's and sends it again; the server then changes nothing.
    /// </summary>
    private static string Unchanged => Lines("unchanged").Replace("statefulset.apps/db unchanged", "statefulset.apps/db configured", StringComparison.Ordinal);

    /// <summary>kubectl's line for every object of the manifest, in order.</summary>
    private static string Lines(string outcome) => string.Concat(Objects.Select(o => $"{o} {outcome}\n"));

    /// <summary>The resourceVersion of every object, which an apply that changes nothing leaves as it was.</summary>
    private async Task<string> VersionsAsync() =>
        (await Kubectl.SucceedAsync(["get", .. Objects.Select(o => o.Split('/')[0].Split('.')[0] + "/" + o.Split('/')[1]), "-n", _ns, "-o", "jsonpath={.items[*].metadata.resourceVersion}"])).Out;

    private async Task<JsonNode> GetAsync(string obj) => JsonNode.Parse((await Kubectl.SucceedAsync("get", obj, "-n", _ns, "-o", "json")).Out)!;
}
