using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>
/// Services on real containers: cluster IPs and NodePorts load-balanced by the node's service proxy, names answered
/// by the cluster DNS, and the web application and database of issue 9 wired together from plain YAML.
/// </summary>
public sealed class ServicesTests(ContainerdCluster cluster) : IClassFixture<ContainerdCluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The database checks the password it is sent against the one it was given; the web pods send the one they were
    /// given and answer with their own name and the database's verdict. Both come from one Secret.
    /// </summary>
    private static string Application(string password) => $$$"""
        apiVersion: v1
        kind: Secret
        metadata: {name: db-credentials}
        stringData: {password: {{{password}}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: scripts}
        data:
          query: |
            #!/bin/sh
            printf 'Content-Type: text/plain\r\n\r\n'
            if [ "$QUERY_STRING" = "password=$DB_PASSWORD" ]; then echo "db ok $(hostname) $DB_VERSION"; else echo "db denied"; fi
          hello: |
            #!/bin/sh
            printf 'Content-Type: text/plain\r\n\r\n'
            echo "web $(hostname) $(timeout 5 wget -q -O - "http://db:5432/cgi-bin/query?password=$DB_PASSWORD" 2>&1 | head -c 200)"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: db}
        spec:
          replicas: 1
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: db
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'mkdir -p /srv/cgi-bin && cp /scripts/query /srv/cgi-bin/ && chmod +x /srv/cgi-bin/query && exec httpd -f -p 5432 -h /srv']
                env:
                - {name: DB_VERSION, value: v1}
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
                ports: [{name: sql, containerPort: 5432}]
                readinessProbe: {tcpSocket: {port: sql}, periodSeconds: 1}
                volumeMounts: [{name: scripts, mountPath: /scripts}]
              volumes: [{name: scripts, configMap: {name: scripts}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec:
          selector: {app: db}
          ports: [{name: sql, port: 5432, targetPort: sql}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 10
              containers:
              - name: web
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'mkdir -p /srv/cgi-bin && cp /scripts/hello /srv/cgi-bin/ && chmod +x /srv/cgi-bin/hello && exec httpd -f -p 8080 -h /srv']
                env:
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
                ports: [{name: http, containerPort: 8080}]
                readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
                # As upstream advises: keep serving while the endpoint's removal reaches every node's proxy.
                lifecycle:
                  preStop: {exec: {command: [sleep, "5"]}}
                volumeMounts: [{name: scripts, mountPath: /scripts}]
              volumes: [{name: scripts, configMap: {name: scripts}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http}]
        """;

    [Fact]
    public async Task WebAndDatabase_FromPlainYaml_TalkThroughServicesByNameThroughDeletesRollsAndScaling()
    {
        var ns = await cluster.NamespaceAsync("shop");
        var password = "pw-" + Guid.NewGuid().ToString("N")[..12];
        await cluster.ApplyAsync(ns, Application(password));
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/db", "-n", ns, "--timeout=80s");
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=80s");

        var web = await cluster.GetAsync("get", "service", "web", "-n", ns);
        var clusterIp = web["spec"]!["clusterIP"]!.GetValue<string>();
        var nodePort = web["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>();
        var viaClusterIp = new Uri($"http://{clusterIp}/cgi-bin/hello");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // Spread over all three replicas, each reaching the database by its name with the right password.
        var webPods = (await PodNamesAsync(ns, "app=web")).ToHashSet();
        var db1 = (await PodNamesAsync(ns, "app=db")).Single();
        var seen = new HashSet<string>();
        await Eventually.TrueAsync(async () =>
        {
            var (pod, answer) = Parse(await GetAsync(http, viaClusterIp));
            Assert.Equal($"db ok {db1} v1", answer);
            seen.Add(pod);
            return seen.SetEquals(webPods);
        }, Patience, "answers from all three web pods through the cluster IP");

        // The NodePort on the node's loopback address leads to the same pods.
        var (viaNodePort, nodePortAnswer) = Parse(await GetAsync(http, new Uri($"http://127.0.0.1:{nodePort}/cgi-bin/hello")));
        Assert.Contains(viaNodePort, webPods);
        Assert.Equal($"db ok {db1} v1", nodePortAnswer);

        // Deleting a web pod while requests keep coming: none fails (readiness takes the pod out before it stops).
        using (var load = new RequestLoad(http, viaClusterIp))
        {
            await cluster.Kubectl.SucceedAsync("delete", "pod", webPods.First(), "-n", ns, "--wait=true", "--timeout=60s");
            await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
            var (succeeded, failures) = await load.StopAsync();
            Assert.True(succeeded > 10, $"only {succeeded} requests went through during the deletion");
            Assert.True(failures.Count == 0, $"{failures.Count} of {succeeded + failures.Count} requests failed during the deletion: {string.Join("; ", failures.Take(5))}");
        }

        // A new database version gets a new pod and address; the web pods find it by name without restarting.
        var dbIp1 = await PodIpAsync(ns, db1);
        await cluster.Kubectl.SucceedAsync("set", "env", "deployment/db", "-n", ns, "DB_VERSION=v2");
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/db", "-n", ns, "--timeout=80s");
        var db2 = (await PodNamesAsync(ns, "app=db")).Single(p => p != db1);
        Assert.NotEqual(dbIp1, await PodIpAsync(ns, db2));
        await Eventually.TrueAsync(async () => Parse(await GetAsync(http, viaClusterIp)).Answer == $"db ok {db2} v2", Patience, "the web pods to reach the new database");

        // Scaling to five: the Service's endpoints follow the pods being ready (how fast is bench-services' to measure).
        await cluster.Kubectl.SucceedAsync("scale", "deployment/web", "-n", ns, "--replicas=5");
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=80s");
        await Eventually.TrueAsync(async () => await ReadyEndpointsAsync(ns, "web") == 5, TimeSpan.FromSeconds(10), "five endpoints");
        var scaled = (await PodNamesAsync(ns, "app=web")).ToHashSet();
        seen.Clear();
        await Eventually.TrueAsync(async () =>
        {
            seen.Add(Parse(await GetAsync(http, viaClusterIp)).Pod);
            return seen.SetEquals(scaled);
        }, Patience, "answers from all five web pods");

        // The password is nowhere it should not be.
        var events = (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns, "-o", "json")).Out;
        Assert.DoesNotContain(password, events, StringComparison.Ordinal);
        foreach (var pod in await PodNamesAsync(ns, "app"))
            Assert.DoesNotContain(password, (await cluster.Kubectl.RunAsync("logs", pod, "-n", ns)).Out, StringComparison.Ordinal);
        Assert.DoesNotContain(password, cluster.ServerOutput, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=60s");
    }

    [Fact]
    public async Task Service_WithoutReadyEndpoints_RefusesConnectionsAtOnce()
    {
        var ns = await cluster.NamespaceAsync("empty");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Service
            metadata: {name: nobody}
            spec:
              type: NodePort
              selector: {app: nobody}
              ports: [{port: 80}]
            """);
        var service = await cluster.GetAsync("get", "service", "nobody", "-n", ns);
        var clusterIp = service["spec"]!["clusterIP"]!.GetValue<string>();
        var nodePort = service["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>();

        foreach (var (address, port) in new[] { (clusterIp, 80), ("127.0.0.1", nodePort) })
        {
            // The proxy's rules may be a moment behind the Service's creation; then the answer turns into a refusal.
            await Eventually.TrueAsync(async () => await ConnectAsync(address, port) == SocketError.ConnectionRefused, TimeSpan.FromSeconds(10),
                $"{address}:{port} to refuse connections");
        }
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=60s");
    }

    [Fact]
    public async Task Service_WithClientIpAffinityAndOneOfItsPodsCallingIt_KeepsClientsOnOnePodAndLetsThePodReachItself()
    {
        var ns = await cluster.NamespaceAsync("sticky");
        await cluster.ApplyAsync(ns, $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: echo}
            spec:
              replicas: 2
              selector: {matchLabels: {app: echo}}
              template:
                metadata: {labels: {app: echo}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: httpd
                    image: {{{ContainerdCluster.Busybox}}}
                    imagePullPolicy: IfNotPresent
                    command: [sh, -c, 'hostname > /tmp/index.html && exec httpd -f -p 8080 -h /tmp']
                    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: echo}
            spec:
              selector: {app: echo}
              sessionAffinity: ClientIP
              ports: [{port: 80, targetPort: 8080}]
            """);
        await cluster.Kubectl.SucceedAsync("rollout", "status", "deployment/echo", "-n", ns, "--timeout=80s");
        await Eventually.TrueAsync(async () => await ReadyEndpointsAsync(ns, "echo") == 2, TimeSpan.FromSeconds(10), "two endpoints");
        var clusterIp = (await cluster.GetAsync("get", "service", "echo", "-n", ns))["spec"]!["clusterIP"]!.GetValue<string>();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var answers = new HashSet<string>();
        for (var i = 0; i < 20; i++)
            answers.Add((await GetAsync(http, new Uri($"http://{clusterIp}/index.html"))).Trim());
        Assert.Single(answers);

        // Hairpin: with one pod left behind the Service, that pod reaches the Service, so itself.
        await cluster.Kubectl.SucceedAsync("scale", "deployment/echo", "-n", ns, "--replicas=1");
        await Eventually.TrueAsync(async () => await ReadyEndpointsAsync(ns, "echo") == 1, TimeSpan.FromSeconds(30), "one endpoint");
        var solo = (await cluster.Kubectl.SucceedAsync("get", "endpoints", "echo", "-n", ns, "-o", "jsonpath={.subsets[0].addresses[0].targetRef.name}")).Out.Trim();
        var (_, output, _) = await cluster.Kubectl.SucceedAsync("exec", solo, "-n", ns, "--", "timeout", "5", "wget", "-q", "-O", "-", $"http://echo.{ns}.svc.cluster.local/index.html");
        Assert.Equal(solo, output.Trim());
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=60s");
    }

    [Fact]
    public async Task KubernetesService_ReachesTheApiServer_FromTheNodeWithACertificateForItsNamesAndFromPods()
    {
        var clusterIp = (await cluster.GetAsync("get", "service", "kubernetes", "-n", "default"))["spec"]!["clusterIP"]!.GetValue<string>();
        var tls = Path.Combine(cluster.DataDir, "server", "tls");
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(tls, "ca.crt")));
        using var handler = new SocketsHttpHandler
        {
            // The name a pod uses, the address the proxy translates.
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Parse(clusterIp), 443, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key"))];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is X509Certificate2 c && chain.Build(c);
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Contains("gitVersion", await http.GetStringAsync(new Uri("https://kubernetes.default.svc/version")), StringComparison.Ordinal);

        // From a pod, by name: the connection is made (the pod's side of the translation to the server's loopback address).
        var ns = await cluster.NamespaceAsync("incluster");
        await cluster.ApplyAsync(ns, $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: client}
            spec:
              restartPolicy: Never
              containers:
              - name: nc
                image: {{{ContainerdCluster.Busybox}}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'nc -w 5 kubernetes.default.svc 443 </dev/null']
            """);
        await Eventually.TrueAsync(async () => (await cluster.Kubectl.SucceedAsync("get", "pod", "client", "-n", ns, "-o", "jsonpath={.status.phase}")).Out is "Succeeded" or "Failed",
            Patience, "the client pod to finish");
        Assert.Equal("Succeeded", (await cluster.Kubectl.SucceedAsync("get", "pod", "client", "-n", ns, "-o", "jsonpath={.status.phase}")).Out);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=60s");
    }

    private async Task<string[]> PodNamesAsync(string ns, string selector) =>
        (await cluster.Kubectl.SucceedAsync("get", "pods", "-n", ns, "-l", selector, "--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}")).Out
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>How many ready addresses the Service's Endpoints list.</summary>
    private async Task<int> ReadyEndpointsAsync(string ns, string service) =>
        (await cluster.Kubectl.SucceedAsync("get", "endpoints", service, "-n", ns, "-o", "jsonpath={.subsets[*].addresses[*].ip}")).Out
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private async Task<string> PodIpAsync(string ns, string pod) =>
        (await cluster.Kubectl.SucceedAsync("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}")).Out.Trim();

    /// <summary>One request on a connection of its own, so that each one is balanced afresh.</summary>
    private static async Task<string> GetAsync(HttpClient http, Uri uri)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.ConnectionClose = true;
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>"web &lt;pod&gt; &lt;the database's answer&gt;" into its parts.</summary>
    private static (string Pod, string Answer) Parse(string page)
    {
        var parts = page.Trim().Split(' ', 3);
        Assert.True(parts.Length == 3 && parts[0] == "web", $"unexpected answer from a web pod: {page}");
        return (parts[1], parts[2]);
    }

    private static async Task<SocketError> ConnectAsync(string address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(address), port, timeout.Token);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }

    /// <summary>Requests sent one after another until stopped, counting what went through and what failed.</summary>
    private sealed class RequestLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<(int, List<string>)> _running;

        public RequestLoad(HttpClient http, Uri uri) => _running = RunAsync(http, uri, _stop.Token);

        public async Task<(int Succeeded, List<string> Failures)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _running;
        }

        private static async Task<(int, List<string>)> RunAsync(HttpClient http, Uri uri, CancellationToken stop)
        {
            var (succeeded, failures) = (0, new List<string>());
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var page = await GetAsync(http, uri);
                    if (page.StartsWith("web ", StringComparison.Ordinal))
                        succeeded++;
                    else
                        failures.Add(page);
                }
                catch (HttpRequestException e)
                {
                    failures.Add(e.Message);
                }
            }
            return (succeeded, failures);
        }

        public void Dispose() => _stop.Dispose();
    }
}
