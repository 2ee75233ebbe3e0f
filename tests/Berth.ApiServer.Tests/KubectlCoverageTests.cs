using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Testing;
using k8s;
using k8s.Models;

namespace Berth.ApiServer.Tests;

/// <summary>
/// The real kubectl against a real server, for what <see cref="KubectlTests"/> leaves out: the other
/// <c>kubectl create</c> generators, get's output forms and selectors, describe, <c>delete --all</c> and api-versions.
/// Expected text is what kubectl prints against a real kube-apiserver with no controller manager running.
/// </summary>
public sealed class KubectlCoverageTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("kubectl-coverage");
    private readonly string _name = "c" + Guid.NewGuid().ToString("N")[..10];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task CreateSecretTls_StoresTheCertificateAndKeyFilesAsTheyAre()
    {
        await CreateNamespaceAsync();
        var (certFile, keyFile) = await WriteSelfSignedCertificateAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "secret", "tls", "web-tls", $"--cert={certFile}", $"--key={keyFile}");
        var secret = await GetJsonAsync("secret", "web-tls");
        var table = await Kubectl.RunAsync("-n", _name, "get", "secrets");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("secret/web-tls created\n", created.Out);
        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
        Assert.Equal(await File.ReadAllBytesAsync(certFile), Convert.FromBase64String((string)secret["data"]!["tls.crt"]!));
        Assert.Equal(await File.ReadAllBytesAsync(keyFile), Convert.FromBase64String((string)secret["data"]!["tls.key"]!));
        Assert.Matches(@"^NAME\s+TYPE\s+DATA\s+AGE\nweb-tls\s+kubernetes\.io/tls\s+2\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task CreateSecretDockerRegistry_StoresADockerConfigJsonWithTheCredentials()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "secret", "docker-registry", "pull",
            "--docker-server=registry.local", "--docker-username=u", "--docker-password=p");
        var secret = await GetJsonAsync("secret", "pull");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("secret/pull created\n", created.Out);
        Assert.Equal("kubernetes.io/dockerconfigjson", (string?)secret["type"]);
        var config = JsonNode.Parse(Convert.FromBase64String((string)secret["data"]![".dockerconfigjson"]!))!;
        var entry = config["auths"]!["registry.local"]!;
        Assert.Equal("u", (string?)entry["username"]);
        Assert.Equal("p", (string?)entry["password"]);
        Assert.Equal(Convert.ToBase64String("u:p"u8), (string?)entry["auth"]);
    }

    [Fact]
    public async Task CreateCronJob_SetsTheScheduleAndTheJobTemplate()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *");
        var cronJob = await GetJsonAsync("cronjob", "tick");
        var table = await Kubectl.RunAsync("-n", _name, "get", "cronjobs");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("cronjob.batch/tick created\n", created.Out);
        Assert.Equal("*/5 * * * *", (string?)cronJob["spec"]!["schedule"]);
        var pod = cronJob["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!;
        Assert.Equal("OnFailure", (string?)pod["restartPolicy"]);
        Assert.Equal("tick", (string?)pod["containers"]![0]!["name"]);
        Assert.Equal("busybox", (string?)pod["containers"]![0]!["image"]);
        Assert.Equal(1, (int)cronJob["metadata"]!["generation"]!);
        Assert.Matches(@"^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ntick\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n$", table.Out);
    }

    [Theory]
    [InlineData("nodeport", "NodePort")]
    [InlineData("loadbalancer", "LoadBalancer")]
    public async Task CreateService_OfAType_SetsTheTypePortAndSelector(string generator, string type)
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "service", generator, "web", "--tcp=80:8080");
        var service = await GetJsonAsync("service", "web");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("service/web created\n", created.Out);
        Assert.Equal(type, (string?)service["spec"]!["type"]);
        var port = service["spec"]!["ports"]![0]!;
        Assert.Equal("80-8080", (string?)port["name"]);
        Assert.Equal(80, (int)port["port"]!);
        Assert.Equal(8080, (int)port["targetPort"]!);
        Assert.Equal("TCP", (string?)port["protocol"]);
        Assert.Equal("web", (string?)service["spec"]!["selector"]!["app"]);
        Assert.Equal("web", (string?)service["metadata"]!["labels"]!["app"]);
    }

    [Fact]
    public async Task CreateServiceExternalName_SetsTheExternalNameAndNoPorts()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "service", "externalname", "db", "--external-name=db.example.com");
        var service = await GetJsonAsync("service", "db");
        var table = await Kubectl.RunAsync("-n", _name, "get", "services");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("service/db created\n", created.Out);
        Assert.Equal("ExternalName", (string?)service["spec"]!["type"]);
        Assert.Equal("db.example.com", (string?)service["spec"]!["externalName"]);
        Assert.Null(service["spec"]!["ports"]);
        Assert.Matches(@"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\ndb\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task CreatePriorityClass_SetsTheValueAndPreemptionPolicy()
    {
        var name = _name + "-pc";
        try
        {
            var created = await Kubectl.RunAsync("create", "priorityclass", name, "--value=1000");
            var priorityClass = JsonNode.Parse((await Kubectl.RunAsync("get", "priorityclass", name, "-o", "json")).Out)!;
            var table = await Kubectl.RunAsync("get", "priorityclass", name);
            var deleted = await Kubectl.RunAsync("delete", "priorityclass", name);

            Assert.True(created.ExitCode == 0, created.Err);
            Assert.Equal($"priorityclass.scheduling.k8s.io/{name} created\n", created.Out);
            Assert.Equal("scheduling.k8s.io/v1", (string?)priorityClass["apiVersion"]);
            Assert.Equal(1000, (int)priorityClass["value"]!);
            Assert.Equal("PreemptLowerPriority", (string?)priorityClass["preemptionPolicy"]);
            Assert.Null(priorityClass["metadata"]!["namespace"]);
            Assert.Matches(@$"^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\n{name}\s+1000\s+false\s+\d+s\s+PreemptLowerPriority\n$", table.Out);
            Assert.Equal($"priorityclass.scheduling.k8s.io \"{name}\" deleted\n", deleted.Out);
        }
        finally
        {
            await Kubectl.RunAsync("delete", "priorityclass", name, "--ignore-not-found");
        }
    }

    [Fact]
    public async Task CreateQuota_SetsTheHardLimits()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "quota", "pods", "--hard=pods=10");
        var quota = await GetJsonAsync("resourcequota", "pods");
        var table = await Kubectl.RunAsync("-n", _name, "get", "quota");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("resourcequota/pods created\n", created.Out);
        Assert.Equal("10", (string?)quota["spec"]!["hard"]!["pods"]);
        Assert.Matches(@"^NAME\s+AGE\s+REQUEST\s+LIMIT\npods\s+\d+s\s+pods: 0/10\s*\n$", table.Out);
    }

    [Fact]
    public async Task CreateRoleBinding_BindsTheUserToTheRole()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "rolebinding", "read", "--role=reader", "--user=alice");
        var binding = await GetJsonAsync("rolebinding", "read");
        var table = await Kubectl.RunAsync("-n", _name, "get", "rolebindings", "-o", "wide");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("rolebinding.rbac.authorization.k8s.io/read created\n", created.Out);
        AssertRoleRef(binding, "Role", "reader");
        AssertSubjectIsUser(binding, "alice");
        Assert.Matches(@"^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nread\s+Role/reader\s+\d+s\s+alice\s*\n$", table.Out);
    }

    [Fact]
    public async Task CreateClusterRoleAndClusterRoleBinding_GrantTheVerbOnTheResourceToTheUser()
    {
        var role = _name + "-role";
        var binding = _name + "-binding";
        try
        {
            var createdRole = await Kubectl.RunAsync("create", "clusterrole", role, "--verb=get", "--resource=pods");
            var createdBinding = await Kubectl.RunAsync("create", "clusterrolebinding", binding, $"--clusterrole={role}", "--user=alice");
            var roleJson = JsonNode.Parse((await Kubectl.RunAsync("get", "clusterrole", role, "-o", "json")).Out)!;
            var bindingJson = JsonNode.Parse((await Kubectl.RunAsync("get", "clusterrolebinding", binding, "-o", "json")).Out)!;
            var roleTable = await Kubectl.RunAsync("get", "clusterrole", role);
            var bindingTable = await Kubectl.RunAsync("get", "clusterrolebinding", binding, "-o", "wide");
            var deleted = await Kubectl.RunAsync("delete", "clusterrolebinding", binding);
            var deletedRole = await Kubectl.RunAsync("delete", "clusterrole", role);

            Assert.True(createdRole.ExitCode == 0, createdRole.Err);
            Assert.Equal($"clusterrole.rbac.authorization.k8s.io/{role} created\n", createdRole.Out);
            Assert.True(createdBinding.ExitCode == 0, createdBinding.Err);
            Assert.Equal($"clusterrolebinding.rbac.authorization.k8s.io/{binding} created\n", createdBinding.Out);
            var rule = roleJson["rules"]![0]!;
            Assert.Equal([""], rule["apiGroups"]!.AsArray().Select(g => (string?)g));
            Assert.Equal(["pods"], rule["resources"]!.AsArray().Select(r => (string?)r));
            Assert.Equal(["get"], rule["verbs"]!.AsArray().Select(v => (string?)v));
            AssertRoleRef(bindingJson, "ClusterRole", role);
            AssertSubjectIsUser(bindingJson, "alice");
            Assert.Matches(@$"^NAME\s+CREATED AT\n{role}\s+\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$", roleTable.Out);
            Assert.Matches(@$"^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n{binding}\s+ClusterRole/{role}\s+\d+s\s+alice\s*\n$", bindingTable.Out);
            Assert.Equal($"clusterrolebinding.rbac.authorization.k8s.io \"{binding}\" deleted\n", deleted.Out);
            Assert.Equal($"clusterrole.rbac.authorization.k8s.io \"{role}\" deleted\n", deletedRole.Out);
        }
        finally
        {
            await Kubectl.RunAsync("delete", "clusterrolebinding", binding, "--ignore-not-found");
            await Kubectl.RunAsync("delete", "clusterrole", role, "--ignore-not-found");
        }
    }

    [Fact]
    public async Task CreatePodDisruptionBudget_SetsTheSelectorAndMinAvailable()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=1");
        var budget = await GetJsonAsync("pdb", "web");
        var table = await Kubectl.RunAsync("-n", _name, "get", "pdb");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("poddisruptionbudget.policy/web created\n", created.Out);
        Assert.Equal("policy/v1", (string?)budget["apiVersion"]);
        Assert.Equal(1, (int)budget["spec"]!["minAvailable"]!);
        Assert.Equal("web", (string?)budget["spec"]!["selector"]!["matchLabels"]!["app"]);
        Assert.Null(budget["spec"]!["maxUnavailable"]);
        Assert.Matches(@"^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nweb\s+1\s+N/A\s+0\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task CreateIngress_SetsTheHostPathAndBackend()
    {
        await CreateNamespaceAsync();

        var created = await Kubectl.RunAsync("-n", _name, "create", "ingress", "web", "--rule=example.com/=web:80");
        var ingress = await GetJsonAsync("ingress", "web");
        var table = await Kubectl.RunAsync("-n", _name, "get", "ingress");

        Assert.True(created.ExitCode == 0, created.Err);
        Assert.Equal("ingress.networking.k8s.io/web created\n", created.Out);
        var rule = ingress["spec"]!["rules"]![0]!;
        Assert.Equal("example.com", (string?)rule["host"]);
        var path = rule["http"]!["paths"]![0]!;
        Assert.Equal("/", (string?)path["path"]);
        Assert.Equal("Exact", (string?)path["pathType"]);
        Assert.Equal("web", (string?)path["backend"]!["service"]!["name"]);
        Assert.Equal(80, (int)path["backend"]!["service"]!["port"]!["number"]!);
        Assert.Matches(@"^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+<none>\s+example\.com\s+80\s+\d+s\n$", table.Out);
    }

    [Fact]
    public async Task GetOutputYaml_PrintsTheObjectAsYaml()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "create", "configmap", "settings", "--from-literal=a=1", "--from-literal=b=two");

        var (code, yaml, error) = await Kubectl.RunAsync("-n", _name, "get", "configmap", "settings", "-o", "yaml");

        Assert.True(code == 0, error);
        Assert.StartsWith("apiVersion: v1\ndata:\n  a: \"1\"\n  b: two\nkind: ConfigMap\nmetadata:\n", yaml, StringComparison.Ordinal);
        var configMap = KubernetesYaml.Deserialize<V1ConfigMap>(yaml);
        Assert.Equal("ConfigMap", configMap.Kind);
        Assert.Equal("settings", configMap.Metadata.Name);
        Assert.Equal(_name, configMap.Metadata.NamespaceProperty);
        Assert.Equal("two", configMap.Data["b"]);
        Assert.NotNull(configMap.Metadata.CreationTimestamp);
        Assert.True(Guid.TryParse(configMap.Metadata.Uid, out _));
        // managedFields are hidden unless asked for, as upstream.
        Assert.DoesNotContain("managedFields", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCustomColumnsAndJsonPath_PrintTheSelectedFields()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "create", "configmap", "one", "--from-literal=a=1");
        await RunOkAsync("-n", _name, "create", "configmap", "two", "--from-literal=b=2");

        var columns = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "-o", "custom-columns=NAME:.metadata.name,DATA:.data.a");
        var single = await Kubectl.RunAsync("-n", _name, "get", "configmap", "one", "-o", "jsonpath={.data.a}");
        var range = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}");
        var names = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "-o", "jsonpath={.items[*].metadata.name}");

        Assert.True(columns.ExitCode == 0, columns.Err);
        Assert.Matches(@"^NAME\s+DATA\none\s+1\ntwo\s+<none>\n$", columns.Out);
        Assert.Equal("1", single.Out);
        Assert.Equal($"{_name}/one\n{_name}/two\n", range.Out);
        Assert.Equal("one two", names.Out);
    }

    [Fact]
    public async Task GetFieldSelectorOnTheName_ListsOnlyThatObject()
    {
        await CreateNamespaceAsync();
        foreach (var name in new[] { "alpha", "beta", "gamma" })
            await RunOkAsync("-n", _name, "create", "configmap", name, "--from-literal=k=v");

        var equal = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "--field-selector", "metadata.name=beta");
        var notEqual = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "--field-selector", "metadata.name!=beta", "-o", "name");
        var none = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "--field-selector", "metadata.name=delta");
        var unsupported = await Kubectl.RunAsync("-n", _name, "get", "configmaps", "--field-selector", "spec.x=y");

        Assert.True(equal.ExitCode == 0, equal.Err);
        Assert.Matches(@"^NAME\s+DATA\s+AGE\nbeta\s+1\s+\d+s\n$", equal.Out);
        Assert.Equal("configmap/alpha\nconfigmap/gamma\n", notEqual.Out);
        Assert.Equal("", none.Out);
        Assert.Equal($"No resources found in {_name} namespace.\n", none.Err);
        Assert.Equal(1, unsupported.ExitCode);
        Assert.Equal("Error from server (BadRequest): Unable to find \"/v1, Resource=configmaps\" that match label selector \"\", field selector \"spec.x=y\": field label not supported: spec.x\n",
            unsupported.Err);
    }

    [Fact]
    public async Task GetFieldSelectorOnThePodPhase_ListsOnlyPodsInThatPhase()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "run", "waiting", "--image=nginx");
        await RunOkAsync("-n", _name, "run", "working", "--image=nginx");
        var status = await Kubectl.RunAsync("-n", _name, "patch", "pod", "working", "--subresource=status", "--type=merge", "-p", """{"status":{"phase":"Running"}}""");

        var pending = await Kubectl.RunAsync("-n", _name, "get", "pods", "--field-selector", "status.phase=Pending");
        var running = await Kubectl.RunAsync("-n", _name, "get", "pods", "--field-selector", "status.phase=Running", "-o", "name");
        var notPending = await Kubectl.RunAsync("-n", _name, "get", "pods", "--field-selector", "status.phase!=Pending", "-o", "name");
        var both = await Kubectl.RunAsync("-n", _name, "get", "pods", "--field-selector", "status.phase=Running,metadata.name=waiting");

        Assert.True(status.ExitCode == 0, status.Err);
        Assert.Equal("pod/working patched\n", status.Out);
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nwaiting\s+0/1\s+Pending\s+0\s+\d+s\n$", pending.Out);
        Assert.Equal("pod/working\n", running.Out);
        Assert.Equal("pod/working\n", notPending.Out);
        Assert.Equal("", both.Out);
        Assert.Equal($"No resources found in {_name} namespace.\n", both.Err);
    }

    [Fact]
    public async Task GetAllNamespaces_PrintsTheNamespaceColumn()
    {
        // Lists across namespaces come in storage key order, /registry/configmaps/<namespace>/<name>, as upstream's.
        var (first, second) = (_name + "-a", _name + "-b");
        foreach (var ns in new[] { first, second })
        {
            await RunOkAsync("create", "namespace", ns);
            await RunOkAsync("-n", ns, "create", "configmap", "shared", "--from-literal=a=1");
            await RunOkAsync("-n", ns, "label", "configmap", "shared", $"test={_name}");
        }

        var table = await Kubectl.RunAsync("get", "configmaps", "-A", "-l", $"test={_name}");
        var names = await Kubectl.RunAsync("get", "configmaps", "--all-namespaces", "-l", $"test={_name}", "-o", "name");
        var wide = await Kubectl.RunAsync("get", "configmaps", "-A", "-l", $"test={_name}", "--show-labels");

        Assert.True(table.ExitCode == 0, table.Err);
        Assert.Matches(@$"^NAMESPACE\s+NAME\s+DATA\s+AGE\n{first}\s+shared\s+1\s+\d+s\n{second}\s+shared\s+1\s+\d+s\n$", table.Out);
        Assert.Equal("configmap/shared\nconfigmap/shared\n", names.Out);
        Assert.Matches(@$"^NAMESPACE\s+NAME\s+DATA\s+AGE\s+LABELS\n{first}\s+shared\s+1\s+\d+s\s+test={_name}\n{second}\s+", wide.Out);
    }

    [Fact]
    public async Task DescribeConfigMap_PrintsMetadataDataAndNoEvents()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "create", "configmap", "settings", "--from-literal=greeting=hello");
        await RunOkAsync("-n", _name, "label", "configmap", "settings", "app=web", "tier=db");
        await RunOkAsync("-n", _name, "annotate", "configmap", "settings", "note=hi");

        var (code, output, error) = await Kubectl.RunAsync("-n", _name, "describe", "configmap", "settings");

        Assert.True(code == 0, error);
        Assert.Equal(
            "Name:         settings\n" +
            $"Namespace:    {_name}\n" +
            "Labels:       app=web\n" +
            "              tier=db\n" +
            "Annotations:  note: hi\n" +
            "\n" +
            "Data\n" +
            "====\n" +
            "greeting:\n" +
            "----\n" +
            "hello\n" +
            "\n" +
            "\n" +
            "BinaryData\n" +
            "====\n" +
            "\n" +
            "Events:  <none>\n",
            output);
    }

    [Fact]
    public async Task DescribeNamespace_PrintsItsNameLabelStatusAndNoQuotas()
    {
        await CreateNamespaceAsync();

        var (code, output, error) = await Kubectl.RunAsync("describe", "namespace", _name);

        Assert.True(code == 0, error);
        Assert.Equal(
            $"Name:         {_name}\n" +
            $"Labels:       kubernetes.io/metadata.name={_name}\n" +
            "Annotations:  <none>\n" +
            "Status:       Active\n" +
            "\n" +
            "No resource quota.\n" +
            "\n" +
            "No LimitRange resource.\n",
            output);
    }

    [Fact]
    public async Task LabelNamespace_WhenChangingItsNameLabel_ThenTheServerKeepsTheName()
    {
        await CreateNamespaceAsync();

        var labeled = await Kubectl.RunAsync("label", "namespace", _name, "kubernetes.io/metadata.name=other", "team=a", "--overwrite");
        var byName = await Kubectl.RunAsync("get", "namespaces", "-l", $"kubernetes.io/metadata.name={_name}", "-o", "name");
        var labels = await Kubectl.RunAsync("get", "namespace", _name, "-o", "jsonpath={.metadata.labels}");

        Assert.True(labeled.ExitCode == 0, labeled.Err);
        Assert.Equal($"namespace/{_name} labeled\n", labeled.Out);
        Assert.Equal($"namespace/{_name}\n", byName.Out);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$$"""{"kubernetes.io/metadata.name":"{{{_name}}}","team":"a"}"""), JsonNode.Parse(labels.Out)), labels.Out);
    }

    [Fact]
    public async Task DescribePod_PrintsItsStatusAndOnlyItsOwnEvents()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "run", "web", "--image=nginx");
        await RunOkAsync("-n", _name, "run", "other", "--image=nginx");
        var uid = (await Kubectl.RunAsync("-n", _name, "get", "pod", "web", "-o", "jsonpath={.metadata.uid}")).Out;
        var otherUid = (await Kubectl.RunAsync("-n", _name, "get", "pod", "other", "-o", "jsonpath={.metadata.uid}")).Out;
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await CreateFromFileAsync(Event("web.1", "web", uid, "Scheduled", "Successfully assigned to node-a", "default-scheduler", now));
        await CreateFromFileAsync(Event("other.1", "other", otherUid, "Failed", "not about web", "kubelet", now));

        var (code, output, error) = await Kubectl.RunAsync("-n", _name, "describe", "pod", "web");
        var otherPod = await Kubectl.RunAsync("-n", _name, "describe", "pod", "other");

        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^Name:\s+web$", output);
        Assert.Matches(@$"(?m)^Namespace:\s+{_name}$", output);
        Assert.Matches(@"(?m)^Node:\s+<none>$", output);
        Assert.Matches(@"(?m)^Labels:\s+run=web$", output);
        Assert.Matches(@"(?m)^Annotations:\s+<none>$", output);
        Assert.Matches(@"(?m)^Status:\s+Pending$", output);
        Assert.Matches(@"(?m)^Containers:\n  web:\n    Image:\s+nginx$", output);
        Assert.Matches(@"(?m)^QoS Class:\s+BestEffort$", output);
        Assert.Matches(@"Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n  Normal\s+Scheduled\s+\d+s\s+default-scheduler\s+Successfully assigned to node-a\n$", output);
        Assert.DoesNotContain("not about web", output, StringComparison.Ordinal);
        Assert.Matches(@"  Normal\s+Failed\s+\d+s\s+kubelet\s+not about web\n$", otherPod.Out);
    }

    [Fact]
    public async Task DescribeDeployment_PrintsTheReplicasLine()
    {
        await CreateNamespaceAsync();
        await RunOkAsync("-n", _name, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=2");

        var (code, output, error) = await Kubectl.RunAsync("-n", _name, "describe", "deployment", "web");

        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^Name:\s+web$", output);
        Assert.Matches(@$"(?m)^Namespace:\s+{_name}$", output);
        Assert.Matches(@"(?m)^CreationTimestamp:\s+\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$", output);
        Assert.Matches(@"(?m)^Labels:\s+app=web$", output);
        Assert.Matches(@"(?m)^Annotations:\s+<none>$", output);
        Assert.Matches(@"(?m)^Selector:\s+app=web$", output);
        Assert.Matches(@"(?m)^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$", output);
        Assert.Matches(@"(?m)^Pod Template:\n  Labels:\s+app=web\n  Containers:\n   nginx:\n    Image:\s+nginx:1\.25$", output);
        Assert.Matches(@"(?m)^Events:\s+<none>\n\z", output);
    }

    [Fact]
    public async Task DeleteAll_DeletesEveryConfigMapInTheNamespaceOnly()
    {
        var other = _name + "-keep";
        await CreateNamespaceAsync();
        await RunOkAsync("create", "namespace", other);
        foreach (var name in new[] { "a", "b", "c" })
            await RunOkAsync("-n", _name, "create", "configmap", name, "--from-literal=k=v");
        await RunOkAsync("-n", other, "create", "configmap", "a", "--from-literal=k=v");

        var deleted = await Kubectl.RunAsync("delete", "cm", "--all", "-n", _name);
        var left = await Kubectl.RunAsync("get", "cm", "-n", _name);
        var kept = await Kubectl.RunAsync("get", "cm", "-n", other, "-o", "name");

        Assert.True(deleted.ExitCode == 0, deleted.Err);
        Assert.Equal("configmap \"a\" deleted\nconfigmap \"b\" deleted\nconfigmap \"c\" deleted\n", deleted.Out);
        Assert.Equal("", left.Out);
        Assert.Equal($"No resources found in {_name} namespace.\n", left.Err);
        Assert.Equal("configmap/a\n", kept.Out);
    }

    [Fact]
    public async Task ApiVersions_ListsEveryServedGroupVersionSorted()
    {
        var (code, output, error) = await Kubectl.RunAsync("api-versions");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Order(StringComparer.Ordinal), lines);
        Assert.Equal(lines.Distinct(), lines);
        Assert.All(lines, line => Assert.Matches(@"^([a-z0-9.-]+/)?v\d+((alpha|beta)\d+)?$", line));
        foreach (var expected in new[]
        {
            "v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "policy/v1", "networking.k8s.io/v1", "scheduling.k8s.io/v1",
            "storage.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "certificates.k8s.io/v1",
            "apiextensions.k8s.io/v1", "autoscaling/v2",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    public void Dispose() => _files.Dispose();

    private static void AssertRoleRef(JsonNode binding, string kind, string name)
    {
        var roleRef = binding["roleRef"]!;
        Assert.Equal("rbac.authorization.k8s.io", (string?)roleRef["apiGroup"]);
        Assert.Equal(kind, (string?)roleRef["kind"]);
        Assert.Equal(name, (string?)roleRef["name"]);
    }

    private static void AssertSubjectIsUser(JsonNode binding, string user)
    {
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal("rbac.authorization.k8s.io", (string?)subject["apiGroup"]);
        Assert.Equal("User", (string?)subject["kind"]);
        Assert.Equal(user, (string?)subject["name"]);
    }

    private string Event(string name, string pod, string uid, string reason, string message, string component, string time) => $$$"""
        {"apiVersion":"v1","kind":"Event","metadata":{"name":"{{{name}}}","namespace":"{{{_name}}}"},
         "involvedObject":{"apiVersion":"v1","kind":"Pod","namespace":"{{{_name}}}","name":"{{{pod}}}","uid":"{{{uid}}}"},
         "reason":"{{{reason}}}","message":"{{{message}}}","type":"Normal","source":{"component":"{{{component}}}"},
         "firstTimestamp":"{{{time}}}","lastTimestamp":"{{{time}}}","count":1}
        """;

    private Task CreateNamespaceAsync() => RunOkAsync("create", "namespace", _name);

    private async Task RunOkAsync(params string[] args)
    {
        var (code, _, error) = await Kubectl.RunAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)}: {error}");
    }

    private async Task CreateFromFileAsync(string json)
    {
        var path = _files.File($"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        await RunOkAsync("create", "-f", path, "--validate=false");
    }

    private async Task<JsonNode> GetJsonAsync(string resource, string name)
    {
        var (code, output, error) = await Kubectl.RunAsync("-n", _name, "get", resource, name, "-o", "json");
        Assert.True(code == 0, error);
        return JsonNode.Parse(output)!;
    }

    /// <summary>A throwaway self-signed certificate and its key, written as PEM files for <c>create secret tls</c>.</summary>
    private async Task<(string CertFile, string KeyFile)> WriteSelfSignedCertificateAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={_name}.example.com", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certFile = _files.File("tls.crt");
        var keyFile = _files.File("tls.key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem() + "\n", Encoding.ASCII);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n", Encoding.ASCII);
        return (certFile, keyFile);
    }
}
