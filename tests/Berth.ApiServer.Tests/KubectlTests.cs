using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>The real kubectl against a real server: the judge of compatibility.</summary>
public sealed class KubectlTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("manifests");
    private readonly string _name = "t" + Guid.NewGuid().ToString("N")[..10];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Version_PrintsTheServerVersion()
    {
        var (code, output, error) = await Kubectl.RunAsync("version");

        Assert.True(code == 0, error);
        Assert.Contains("Server Version: v1.33.0-berth", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNamespaces_ListsTheNamespacesEveryClusterHas()
    {
        var (code, output, error) = await Kubectl.RunAsync("get", "namespaces", "-o", "name");

        Assert.True(code == 0, error);
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
            Assert.Contains($"namespace/{ns}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiResources_ListsKindsWithShortNames()
    {
        var (code, output, error) = await Kubectl.RunAsync("api-resources");

        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^pods\s+po\s+v1\s+true\s+Pod", output);
        Assert.Matches(@"(?m)^deployments\s+deploy\s+apps/v1\s+true\s+Deployment", output);
        Assert.Matches(@"(?m)^clusterroles\s+rbac.authorization.k8s.io/v1\s+false\s+ClusterRole", output);
    }

    [Fact]
    public async Task CreateGetDelete_ConfigMapFromAFile()
    {
        var file = await WriteManifestAsync($$$"""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}","labels":{"app":"web"}},"data":{"a":"1"}}
            """);

        var created = await Kubectl.RunAsync("create", "-f", file, "--validate=false");
        var json = await Kubectl.RunAsync("get", "configmap", _name, "-o", "json");
        var byLabel = await Kubectl.RunAsync("get", "cm", "-l", "app=web", "-o", "name");
        var deleted = await Kubectl.RunAsync("delete", "configmap", _name);
        var gone = await Kubectl.RunAsync("get", "configmap", _name);

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal($"configmap/{_name} created\n", created.Out);
        var obj = JsonNode.Parse(json.Out)!;
        Assert.Equal("1", obj["data"]!["a"]!.GetValue<string>());
        Assert.Equal("default", obj["metadata"]!["namespace"]!.GetValue<string>());
        Assert.True(Guid.TryParse(obj["metadata"]!["uid"]!.GetValue<string>(), out _));
        Assert.True(long.Parse(obj["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains($"configmap/{_name}", byLabel.Out, StringComparison.Ordinal);
        Assert.Equal($"configmap \"{_name}\" deleted\n", deleted.Out);
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal($"Error from server (NotFound): configmaps \"{_name}\" not found\n", gone.Err);
    }

    [Fact]
    public async Task Create_WhenTheObjectExists_PrintsAlreadyExists()
    {
        var file = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}"}}""");
        await Kubectl.RunAsync("create", "-f", file, "--validate=false");

        var (code, _, error) = await Kubectl.RunAsync("create", "-f", file, "--validate=false");

        Assert.Equal(1, code);
        Assert.Equal($"Error from server (AlreadyExists): error when creating \"{file}\": configmaps \"{_name}\" already exists\n", error);
    }

    [Fact]
    public async Task Create_InAMissingNamespace_PrintsNotFound()
    {
        var file = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}","namespace":"nope-{{{_name}}}"}}""");

        var (code, _, error) = await Kubectl.RunAsync("create", "-f", file, "--validate=false");

        Assert.Equal(1, code);
        Assert.Equal($"Error from server (NotFound): error when creating \"{file}\": namespaces \"nope-{_name}\" not found\n", error);
    }

    [Fact]
    public async Task LabelAnnotateAndPatch_ChangeTheObject()
    {
        var file = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}"},"data":{"a":"1"}}""");
        await Kubectl.RunAsync("create", "-f", file, "--validate=false");

        var label = await Kubectl.RunAsync("label", "cm", _name, "tier=db");
        var annotate = await Kubectl.RunAsync("annotate", "cm", _name, "note=hi");
        var json = await Kubectl.RunAsync("patch", "cm", _name, "--type=json", "-p", """[{"op":"replace","path":"/data/a","value":"2"}]""");
        var merge = await Kubectl.RunAsync("patch", "cm", _name, "--type=merge", "-p", """{"data":{"b":"3"}}""");
        var result = await Kubectl.RunAsync("get", "cm", _name, "-o", "json");

        Assert.Equal($"configmap/{_name} labeled\n", label.Out);
        Assert.Equal($"configmap/{_name} annotated\n", annotate.Out);
        Assert.Equal($"configmap/{_name} patched\n", json.Out);
        Assert.Equal($"configmap/{_name} patched\n", merge.Out);
        var obj = JsonNode.Parse(result.Out)!;
        Assert.Equal("db", obj["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("hi", obj["metadata"]!["annotations"]!["note"]!.GetValue<string>());
        Assert.Equal("2", obj["data"]!["a"]!.GetValue<string>());
        Assert.Equal("3", obj["data"]!["b"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateNamespaceThenObjectsInIt_AndDeleteByLabel()
    {
        var ns = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"}}""");
        await Kubectl.RunAsync("create", "-f", ns, "--validate=false");
        foreach (var (name, app) in new[] { ("one", "x"), ("two", "x"), ("three", "y") })
        {
            var labels = $$$"""{"app":"{{{app}}}"}""";
            var cm = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","namespace":"{{{_name}}}","labels":{{{labels}}}}}""");
            await Kubectl.RunAsync("create", "-f", cm, "--validate=false");
        }

        var deleted = await Kubectl.RunAsync("delete", "cm", "-n", _name, "-l", "app=x");
        var left = await Kubectl.RunAsync("get", "cm", "-n", _name, "-o", "name");
        var all = await Kubectl.RunAsync("get", "cm", "-A", "-o", "name");

        Assert.Equal("configmap \"one\" deleted\nconfigmap \"two\" deleted\n", deleted.Out);
        Assert.Equal("configmap/three\n", left.Out);
        Assert.Contains("configmap/three", all.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWatch_PrintsObjectsAsTheyAreCreated()
    {
        var ns = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"}}""");
        await Kubectl.RunAsync("create", "-f", ns, "--validate=false");
        using var watch = Kubectl.Start(["get", "cm", "-n", _name, "-w", "-o", "name"], redirectInput: false);
        try
        {
            var lines = new List<string>();
            var reading = Task.Run(async () =>
            {
                while (await watch.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (lines)
                        lines.Add(line);
                }
            });
            var cm = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"watched","namespace":"{{{_name}}}"}}""");
            await Kubectl.RunAsync("create", "-f", cm, "--validate=false");

            await Eventually.TrueAsync(() => { lock (lines) return lines.Contains("configmap/watched"); },
                TimeSpan.FromSeconds(30), "kubectl get -w to print the new configmap");
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Get_PrintsServerSideTablesWithEachKindsColumns()
    {
        var ns = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"}}""");
        await Kubectl.RunAsync("create", "-f", ns, "--validate=false");
        foreach (var manifest in new[]
        {
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"{{{_name}}}","labels":{"app":"web"}},"data":{"a":"1","b":"2"}}""",
            $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod","namespace":"{{{_name}}}"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}""",
            $$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"{{{_name}}}"},"spec":{"clusterIP":"10.43.0.9","ports":[{"port":80,"protocol":"TCP"}]}}""",
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"NS"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}""".Replace("NS", _name, StringComparison.Ordinal),
        })
        {
            var created = await Kubectl.RunAsync("create", "-f", await WriteManifestAsync(manifest), "--validate=false");
            Assert.True(created.ExitCode == 0, created.Err);
        }

        var configMaps = await Kubectl.RunAsync("get", "configmaps", "-n", _name, "--show-labels");
        var pods = await Kubectl.RunAsync("get", "pods", "-n", _name, "-o", "wide");
        var all = await Kubectl.RunAsync("get", "all", "-n", _name);
        var namespaces = await Kubectl.RunAsync("get", "namespace", _name);

        Assert.Matches(@"^NAME\s+DATA\s+AGE\s+LABELS\ncm\s+2\s+\d+s\s+app=web\n$", configMaps.Out);
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\npod\s+0/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n$", pods.Out);
        Assert.Matches(@"service/svc\s+ClusterIP\s+10\.43\.0\.9\s+<none>\s+80/TCP\s+\d+s", all.Out);
        Assert.Matches(@"deployment\.apps/web\s+0/2\s+0\s+0\s+\d+s", all.Out);
        Assert.Matches(@$"^NAME\s+STATUS\s+AGE\n{_name}\s+Active\s+\d+s\n$", namespaces.Out);
    }

    [Fact]
    public async Task Get_WhenNothingMatches_PrintsNoResourcesFound()
    {
        var ns = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"}}""");
        await Kubectl.RunAsync("create", "-f", ns, "--validate=false");

        var (code, output, error) = await Kubectl.RunAsync("get", "pods", "-n", _name);

        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.Equal($"No resources found in {_name} namespace.\n", error);
    }

    [Fact]
    public async Task CreateGenerators_SendProtobufBodiesThatTheServerDecodes()
    {
        Assert.Equal($"namespace/{_name} created\n", (await Kubectl.RunAsync("create", "namespace", _name)).Out);
        string[][] commands =
        [
            ["create", "configmap", "cm", "--from-literal=a=1", "--from-literal=b=2"],
            ["create", "secret", "generic", "pw", "--from-literal=password=hunter2"],
            ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "--port=80"],
            ["create", "service", "clusterip", "web", "--tcp=80:8080"],
            ["create", "job", "once", "--image=busybox", "--", "echo", "hi"],
            ["create", "serviceaccount", "robot"],
            ["create", "role", "reader", "--verb=get", "--resource=pods"],
        ];
        foreach (var command in commands)
        {
            var result = await Kubectl.RunAsync(["-n", _name, .. command]);
            Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', command)}: {result.Err}");
        }

        var deployment = JsonNode.Parse((await Kubectl.RunAsync("get", "deployment", "web", "-n", _name, "-o", "json")).Out)!;
        var secret = JsonNode.Parse((await Kubectl.RunAsync("get", "secret", "pw", "-n", _name, "-o", "json")).Out)!;
        var service = JsonNode.Parse((await Kubectl.RunAsync("get", "service", "web", "-n", _name, "-o", "json")).Out)!;
        var job = JsonNode.Parse((await Kubectl.RunAsync("get", "job", "once", "-n", _name, "-o", "json")).Out)!;
        var role = JsonNode.Parse((await Kubectl.RunAsync("get", "role", "reader", "-n", _name, "-o", "json")).Out)!;

        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("nginx:1.25", deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal(80, deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal("web", deployment["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
        Assert.Equal("hunter2", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!["password"]!.GetValue<string>())));
        Assert.Equal(8080, service["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Equal(["echo", "hi"], job["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("pods", role["rules"]![0]!["resources"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Scale_ChangesTheReplicasThroughTheScaleSubresource()
    {
        await Kubectl.RunAsync("create", "namespace", _name);
        await Kubectl.RunAsync("-n", _name, "create", "deployment", "web", "--image=nginx", "--replicas=2");

        var scaled = await Kubectl.RunAsync("-n", _name, "scale", "deployment", "web", "--replicas=5");
        var replicas = await Kubectl.RunAsync("-n", _name, "get", "deployment", "web", "-o", "jsonpath={.spec.replicas}");

        Assert.True(scaled.ExitCode == 0, scaled.Err);
        Assert.Equal("deployment.apps/web scaled\n", scaled.Out);
        Assert.Equal("5", replicas.Out);
    }

    [Fact]
    public async Task CreateFromAFile_WorksWithKubectlsDefaultValidation()
    {
        var file = await WriteManifestAsync($$$"""{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}-a"}},{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}-b"}}]}""");

        var (code, output, error) = await Kubectl.RunAsync("create", "-f", file);

        Assert.True(code == 0, error);
        Assert.Equal($"configmap/{_name}-a created\nconfigmap/{_name}-b created\n", output);
    }

    [Fact]
    public async Task CreateToken_IssuesAServiceAccountTokenTheServerAccepts_UntilTheAccountGoes()
    {
        await Kubectl.RunAsync("create", "namespace", _name);
        await Kubectl.RunAsync("-n", _name, "create", "serviceaccount", "robot");

        var (code, token, error) = await Kubectl.RunAsync("-n", _name, "create", "token", "robot", "--duration=20m");
        token = token.Trim();
        using var robot = server.CreateClient(withClientCertificate: false);
        robot.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var (asRobot, _) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{_name}/configmaps", client: robot);
        await Kubectl.RunAsync("-n", _name, "delete", "serviceaccount", "robot");

        Assert.True(code == 0, error);
        Assert.Equal(3, token.Split('.').Length);
        Assert.Equal(200, asRobot);
        // The server learns of the deletion through its cache, a moment after the delete returns.
        await Eventually.TrueAsync(async () => (await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{_name}/configmaps", client: robot)).Code == 401,
            TimeSpan.FromSeconds(10), "the deleted service account's token to be refused");
    }

    public void Dispose() => _files.Dispose();

    private async Task<string> WriteManifestAsync(string json)
    {
        var path = _files.File($"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }
}
