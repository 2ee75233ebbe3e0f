using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>What a container gets from the API: environment and files from ConfigMaps, Secrets and its own pod, and images.</summary>
public sealed class ConfigurationTests(ContainerdCluster cluster) : IClassFixture<ContainerdCluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Pod_WithEnvironmentAndVolumesFromAConfigMapASecretAndItself_SeesThemAndConfigMapChangesReachIt()
    {
        var ns = await cluster.NamespaceAsync("config");
        await cluster.Kubectl.SucceedAsync("create", "configmap", "settings", "-n", ns, "--from-literal=greeting=hello", "--from-literal=color=blue");
        await cluster.Kubectl.SucceedAsync("create", "secret", "generic", "creds", "-n", ns, "--from-literal=password=s3cret");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: app, labels: {tier: front}}
            spec:
              terminationGracePeriodSeconds: 1
              volumes:
              - {name: config, configMap: {name: settings}}
              - {name: creds, secret: {secretName: creds, defaultMode: 0400}}
              - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
              - {name: www, emptyDir: {}}
              containers:
              - name: files
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [httpd, -f, -p, "8080", -h, /etc/config]
                volumeMounts: [{name: config, mountPath: /etc/config}]
              - name: env
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                env:
                - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
                - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                - {name: ME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: MEMORY, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
                - {name: BOTH, value: "$(GREETING)-$(ME)"}
                resources:
                  limits: {memory: 32Mi}
                command: [sh, -c, 'echo "$BOTH $PASSWORD $(cat /etc/creds/password) $MEMORY $(cat /etc/info/labels) $(stat -c %a /etc/creds/..data/password)" > /www/index.html; exec httpd -f -p 8081 -h /www']
                volumeMounts:
                - {name: creds, mountPath: /etc/creds, readOnly: true}
                - {name: info, mountPath: /etc/info}
                - {name: www, mountPath: /www}
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/app", "-n", ns, "--timeout=55s");
        var ip = (await cluster.GetAsync("get", "pod", "app", "-n", ns))["status"]!["podIP"]!.GetValue<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal("hello-app s3cret s3cret 32 tier=\"front\" 400\n", await http.GetStringAsync(new Uri($"http://{ip}:8081/index.html")));
        Assert.Equal("blue", await http.GetStringAsync(new Uri($"http://{ip}:8080/color")));

        await cluster.Kubectl.SucceedAsync("patch", "configmap", "settings", "-n", ns, "-p", """{"data":{"color":"red"}}""");
        await Eventually.TrueAsync(async () => await http.GetStringAsync(new Uri($"http://{ip}:8080/color")) == "red", Patience, "the ConfigMap's change to reach the volume");

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Volumes_OfAPodWithAnFsGroup_BelongToThatGroup()
    {
        var ns = await cluster.NamespaceAsync("fsgroup");
        await cluster.Kubectl.SucceedAsync("create", "secret", "generic", "creds", "-n", ns, "--from-literal=password=s3cret");
        // The secret's file is 0400: only its group lets user 1000 read it.
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: shared}
            spec:
              restartPolicy: Never
              securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
              volumes:
              - {name: data, emptyDir: {}}
              - {name: creds, secret: {secretName: creds, defaultMode: 0400}}
              containers:
              - name: check
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'touch /data/new && cat /creds/password && echo " $(stat -c "%g %a" /data) $(stat -c %g /data/new) $(stat -c "%g %a" /creds/..data/password) $(id -G)"']
                volumeMounts: [{name: data, mountPath: /data}, {name: creds, mountPath: /creds}]
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));

        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "pod/shared", "--timeout=55s");
        var (_, output, _) = await cluster.Kubectl.SucceedAsync("logs", "-n", ns, "shared");

        Assert.Equal("s3cret 2000 2777 2000 2000 440 3000 2000\n", output);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Pod_WithASubdomainAndHostAliases_FindsItsOwnNameAndTheAliasesInItsHostsFile()
    {
        var ns = await cluster.NamespaceAsync("hosts");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: named}
            spec:
              terminationGracePeriodSeconds: 0
              hostname: db-0
              subdomain: db
              hostAliases:
              - ip: 127.0.0.1
                hostnames: [foo.local, bar.local]
              containers:
              - name: app
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/named", "--timeout=55s");
        var ip = (await cluster.GetAsync("get", "pod", "named", "-n", ns))["status"]!["podIP"]!.GetValue<string>();

        var (_, hosts, _) = await cluster.Kubectl.SucceedAsync("exec", "-n", ns, "named", "--", "cat", "/etc/hosts");

        Assert.StartsWith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n", hosts, StringComparison.Ordinal);
        Assert.Contains($"\n{ip}\tdb-0.db.{ns}.svc.cluster.local\tdb-0\n", hosts, StringComparison.Ordinal);
        Assert.EndsWith("\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n", hosts, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Pod_ReadsItsServiceAccountTokenTheClusterCaAndItsNamespace_WhichAuthenticateItToTheApiServer()
    {
        var ns = await cluster.NamespaceAsync("token");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: client}
            spec:
              terminationGracePeriodSeconds: 0
              securityContext: {runAsUser: 1000}
              containers:
              - name: app
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/client", "--timeout=55s");
        async Task<string> ReadAsync(string file) =>
            (await cluster.Kubectl.SucceedAsync("exec", "-n", ns, "client", "--", "cat", $"/var/run/secrets/kubernetes.io/serviceaccount/{file}")).Out;

        var token = await ReadAsync("token");
        using var files = new TempDirectory("token");
        var ca = files.File("ca.crt");
        await File.WriteAllTextAsync(ca, await ReadAsync("ca.crt"));
        var none = files.File("empty-kubeconfig");
        await File.WriteAllTextAsync(none, "");
        // Only what the pod has: the server's address, its CA from the pod and the pod's token.
        var asThePod = await cluster.Kubectl.RunAsync("--kubeconfig", none, "--server", cluster.Url.ToString(), "--certificate-authority", ca,
            "--token", token, "get", "pod", "client", "-n", ns, "-o", "name");
        var forged = await cluster.Kubectl.RunAsync("--kubeconfig", none, "--server", cluster.Url.ToString(), "--certificate-authority", ca,
            "--token", token[..^4] + "AAAA", "get", "pod", "client", "-n", ns, "-o", "name");

        Assert.Equal(ns, await ReadAsync("namespace"));
        Assert.True(asThePod.ExitCode == 0, asThePod.Err);
        Assert.Equal("pod/client\n", asThePod.Out);
        Assert.Contains("Unauthorized", forged.Err, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task PodsOfAClaimBoundToAHostPathVolume_KeepItsDataAcrossPods_AndAReadOnlyClaimCannotWriteIt()
    {
        var ns = await cluster.NamespaceAsync("claims");
        using var disk = new TempDirectory("pv");
        var volume = $"pv-{ns}";
        await cluster.ApplyAsync(ns, $$$"""
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: {{{volume}}}}
            spec:
              capacity: {storage: 1Gi}
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              hostPath: {path: {{{disk.Path}}}, type: Directory}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: data}
            spec:
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              resources: {requests: {storage: 512Mi}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: writer}
            spec:
              restartPolicy: Never
              volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
              containers:
              - name: write
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'echo kept > /data/note']
                volumeMounts: [{name: data, mountPath: /data}]
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "pod/writer", "--timeout=55s");
        await cluster.Kubectl.SucceedAsync("delete", "pod", "writer", "-n", ns, "--timeout=55s");
        await cluster.ApplyAsync(ns, $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              restartPolicy: Never
              volumes: [{name: data, persistentVolumeClaim: {claimName: data, readOnly: true}}]
              containers:
              - name: read
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'cat /data/note; touch /data/more 2>/dev/null || echo read-only']
                volumeMounts: [{name: data, mountPath: /data}]
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "pod/reader", "--timeout=55s");

        Assert.Equal("kept\nread-only\n", (await cluster.Kubectl.SucceedAsync("logs", "-n", ns, "reader")).Out);
        Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(disk.Path, "note")));
        Assert.Equal($"{volume} Bound", (await cluster.Kubectl.SucceedAsync("get", "pvc", "data", "-n", ns,
            "-o", "jsonpath={.spec.volumeName} {.status.phase}")).Out);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
        await cluster.Kubectl.SucceedAsync("delete", "pv", volume);
    }

    [Fact]
    public async Task Containers_SeeTheServicesOfTheirNamespaceAsServiceLinks_UnlessThePodTurnsThemOff()
    {
        var ns = await cluster.NamespaceAsync("links");
        await cluster.ApplyAsync(ns, $$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: db-main}
            spec:
              ports: [{name: sql, port: 5432}, {name: metrics, port: 9187, protocol: UDP}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: headless}
            spec:
              clusterIP: None
              ports: [{port: 80}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: linked}
            spec:
              restartPolicy: Never
              containers:
              - name: app
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'env | grep -E "^(DB_MAIN|HEADLESS|URL)" | sort']
                env:
                - {name: URL, value: "postgres://$(DB_MAIN_SERVICE_HOST):$(DB_MAIN_SERVICE_PORT_SQL)/shop"}
                - {name: DB_MAIN_SERVICE_PORT, value: "mine"}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: unlinked}
            spec:
              restartPolicy: Never
              enableServiceLinks: false
              containers:
              - name: app
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'env | grep -c DB_MAIN || true']
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "pod/linked", "pod/unlinked", "--timeout=55s");
        var clusterIp = (await cluster.Kubectl.SucceedAsync("get", "service", "db-main", "-n", ns, "-o", "jsonpath={.spec.clusterIP}")).Out.Trim();

        Assert.Equal("""
            DB_MAIN_PORT=tcp://10.43.7.7:5432
            DB_MAIN_PORT_5432_TCP=tcp://10.43.7.7:5432
            DB_MAIN_PORT_5432_TCP_ADDR=10.43.7.7
            DB_MAIN_PORT_5432_TCP_PORT=5432
            DB_MAIN_PORT_5432_TCP_PROTO=tcp
            DB_MAIN_PORT_9187_UDP=udp://10.43.7.7:9187
            DB_MAIN_PORT_9187_UDP_ADDR=10.43.7.7
            DB_MAIN_PORT_9187_UDP_PORT=9187
            DB_MAIN_PORT_9187_UDP_PROTO=udp
            DB_MAIN_SERVICE_HOST=10.43.7.7
            DB_MAIN_SERVICE_PORT=mine
            DB_MAIN_SERVICE_PORT_METRICS=9187
            DB_MAIN_SERVICE_PORT_SQL=5432
            URL=postgres://10.43.7.7:5432/shop

            """.Replace("10.43.7.7", clusterIp, StringComparison.Ordinal), (await cluster.Kubectl.SucceedAsync("logs", "-n", ns, "linked")).Out);
        Assert.Equal("0\n", (await cluster.Kubectl.SucceedAsync("logs", "-n", ns, "unlinked")).Out);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Container_WhoseSecretIsMissing_WaitsWithCreateContainerConfigErrorUntilItExists()
    {
        var ns = await cluster.NamespaceAsync("missing");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: patient}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: BUSYBOX
                imagePullPolicy: IfNotPresent
                command: [sleep, "3600"]
                env:
                - name: TOKEN
                  valueFrom: {secretKeyRef: {name: later, key: token}}
            """.Replace("BUSYBOX", ContainerdCluster.Busybox, StringComparison.Ordinal));

        await Eventually.TrueAsync(async () => Waiting(await cluster.GetAsync("get", "pod", "patient", "-n", ns))?["reason"]?.GetValue<string>() == "CreateContainerConfigError",
            Patience, "the container to wait for its Secret");
        Assert.Equal("secret \"later\" not found", Waiting(await cluster.GetAsync("get", "pod", "patient", "-n", ns))!["message"]!.GetValue<string>());

        await cluster.Kubectl.SucceedAsync("create", "secret", "generic", "later", "-n", ns, "--from-literal=token=t0k");
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/patient", "-n", ns, "--timeout=55s");

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Container_WhoseImageCannotBePulled_ShowsErrImagePullThenImagePullBackOff()
    {
        var ns = await cluster.NamespaceAsync("pull");
        // localhost/ names can only ever be asked of this machine, where no registry answers on the default port.
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: nowhere}
            spec:
              containers:
              - {name: app, image: localhost/berth/does-not-exist:1.0}
            """);

        await Eventually.TrueAsync(async () => Waiting(await cluster.GetAsync("get", "pod", "nowhere", "-n", ns))?["reason"]?.GetValue<string>() == "ImagePullBackOff",
            Patience, "the container to back off pulling its image");
        var events = (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=nowhere")).Out;
        Assert.Contains("Failed to pull image \"localhost/berth/does-not-exist:1.0\"", events, StringComparison.Ordinal);
        Assert.Contains("Error: ErrImagePull", events, StringComparison.Ordinal);
        Assert.Contains("Back-off pulling image \"localhost/berth/does-not-exist:1.0\"", events, StringComparison.Ordinal);
        Assert.Contains("ImagePullBackOff", (await cluster.Kubectl.SucceedAsync("get", "pod", "nowhere", "-n", ns)).Out, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    private static JsonNode? Waiting(JsonNode pod) => pod["status"]?["containerStatuses"]?[0]?["state"]?["waiting"];
}
