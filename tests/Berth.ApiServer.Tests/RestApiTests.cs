using System.Text.Json.Nodes;

namespace Berth.ApiServer.Tests;

/// <summary>The REST semantics over HTTPS, at the level of requests and Status answers.</summary>
public sealed class RestApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly string _name = "t" + Guid.NewGuid().ToString("N")[..10];

    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    [Fact]
    public async Task Request_WithoutCredentials_Gets401Status()
    {
        using var anonymous = server.CreateClient(withClientCertificate: false);

        var (code, body) = await server.SendAsync(HttpMethod.Get, ConfigMaps, client: anonymous);
        using var health = await anonymous.GetAsync(new Uri("/readyz", UriKind.Relative));
        var healthCode = (int)health.StatusCode;

        Assert.Equal(401, code);
        Assert.Equal("Unauthorized", body!["reason"]!.GetValue<string>());
        Assert.Equal(401, body["code"]!.GetValue<int>());
        Assert.Equal(200, healthCode);
    }

    [Fact]
    public async Task MetricsApi_IsReadOnly_AndHasNothingForNodesWithoutAnAgentToAsk()
    {
        var (list, nodes) = await server.SendAsync(HttpMethod.Get, "/apis/metrics.k8s.io/v1beta1/nodes");
        var (post, _) = await server.SendAsync(HttpMethod.Post, "/apis/metrics.k8s.io/v1beta1/nodes", "{}");
        var (get, missing) = await server.SendAsync(HttpMethod.Get, "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/none");
        var (_, discovery) = await server.SendAsync(HttpMethod.Get, "/apis/metrics.k8s.io/v1beta1");

        Assert.Equal(200, list);
        Assert.Equal("NodeMetricsList", nodes!["kind"]!.GetValue<string>());
        Assert.Empty(nodes["items"]!.AsArray());
        Assert.Equal(405, post);
        Assert.Equal(404, get);
        Assert.Equal("pods.metrics.k8s.io \"default/none\" not found", missing!["message"]!.GetValue<string>());
        Assert.All(discovery!["resources"]!.AsArray(), r => Assert.Equal(["get", "list"], r!["verbs"]!.AsArray().Select(v => v!.GetValue<string>())));
    }

    [Fact]
    public async Task Create_WithMalformedJson_Gets400AndStoresNothing()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":""" + $"\"{_name}\"" + ",}");

        Assert.Equal(400, code);
        Assert.Equal("BadRequest", body!["reason"]!.GetValue<string>());
        Assert.Contains("BytePositionInLine", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/{_name}")).Code);
    }

    [Fact]
    public async Task Create_InANamespaceBeingDeleted_Gets403AndStoresNothing()
    {
        // Nothing here runs the namespace controller: the namespace stays Terminating until the test finalizes it.
        var ns = $"/api/v1/namespaces/{_name}";
        Assert.Equal(201, (await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"}}""")).Code);
        try
        {
            var (deleted, deleting) = await server.SendAsync(HttpMethod.Delete, ns);
            var (code, body) = await server.SendAsync(HttpMethod.Post, $"{ns}/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}}""");

            Assert.Equal(200, deleted);
            Assert.Equal("Terminating", deleting!["status"]!["phase"]!.GetValue<string>());
            Assert.Equal(403, code);
            Assert.Equal("Forbidden", body!["reason"]!.GetValue<string>());
            Assert.Equal($"unable to create new content in namespace {_name} because it is being terminated", body["message"]!.GetValue<string>());
            Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ns}/configmaps/late")).Code);
        }
        finally
        {
            await server.SendAsync(HttpMethod.Put, $"{ns}/finalize", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_name}}}"},"spec":{"finalizers":[]}}""");
        }
    }

    [Fact]
    public async Task Create_WithABodyOver3MiB_Gets413AndStoresNothing()
    {
        var big = new string('x', 3 * 1024 * 1024);
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps,
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}"},"data":{"big":"{{{big}}}"}}""");

        Assert.Equal(413, code);
        Assert.Equal("RequestEntityTooLarge", body!["reason"]!.GetValue<string>());
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/{_name}")).Code);
    }

    [Fact]
    public async Task Create_WithAnInvalidName_Gets422WithTheCause()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}""");

        Assert.Equal(422, code);
        Assert.Equal("Invalid", body!["reason"]!.GetValue<string>());
        Assert.Equal("metadata.name", body["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.StartsWith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain",
            body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithAnotherNamespaceInTheBody_Gets400()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps,
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{_name}}}","namespace":"kube-system"}}""");

        Assert.Equal(400, code);
        Assert.Equal("the namespace of the provided object does not match the namespace sent on the request", body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithGenerateName_GetsAGeneratedName()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps, $$$"""{"metadata":{"generateName":"{{{_name}}}-"}}""");

        Assert.Equal(201, code);
        Assert.Matches($"^{_name}-[a-z0-9]{{5}}$", body!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("ConfigMap", body["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithDryRun_AnswersButStoresNothing()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps + "?dryRun=All", $$$"""{"metadata":{"name":"{{{_name}}}"}}""");

        Assert.Equal(201, code);
        Assert.NotNull(body!["metadata"]!["uid"]);
        Assert.Null(body["metadata"]!["resourceVersion"]);
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/{_name}")).Code);
    }

    [Fact]
    public async Task Update_WithAStaleResourceVersion_Gets409Conflict()
    {
        var (_, created) = await server.SendAsync(HttpMethod.Post, ConfigMaps, $$$"""{"metadata":{"name":"{{{_name}}}"},"data":{"v":"1"}}""");
        var first = created!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var (updateCode, _) = await server.SendAsync(HttpMethod.Put, $"{ConfigMaps}/{_name}",
            $$$"""{"metadata":{"name":"{{{_name}}}","resourceVersion":"{{{first}}}"},"data":{"v":"2"}}""");

        var (code, body) = await server.SendAsync(HttpMethod.Put, $"{ConfigMaps}/{_name}",
            $$$"""{"metadata":{"name":"{{{_name}}}","resourceVersion":"{{{first}}}"},"data":{"v":"3"}}""");

        Assert.Equal(200, updateCode);
        Assert.Equal(409, code);
        Assert.Equal("Conflict", body!["reason"]!.GetValue<string>());
        Assert.Equal($"Operation cannot be fulfilled on configmaps \"{_name}\": the object has been modified; please apply your changes to the latest version and try again",
            body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_InPages_ReadsOneSnapshotWhateverChangesBetweenPages()
    {
        var ns = await CreateNamespaceAsync();
        for (var i = 0; i < 7; i++)
            await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", $$$"""{"metadata":{"name":"cm-{{{i}}}"}}""");

        var (_, first) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=3");
        await server.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/cm-5");
        await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"cm-3a"}}""");
        var names = Names(first!);
        var token = first!["metadata"]!["continue"]?.GetValue<string>();
        while (token is not null)
        {
            var (_, page) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=3&continue={Uri.EscapeDataString(token)}");
            Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), page!["metadata"]!["resourceVersion"]!.GetValue<string>());
            names.AddRange(Names(page));
            token = page["metadata"]!["continue"]?.GetValue<string>();
        }

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm-{i}"), names);
        Assert.Equal("ConfigMapList", first["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_AtResourceVersionZeroWithALimit_ComesWholeInOnePage()
    {
        var ns = await CreateNamespaceAsync();
        for (var i = 0; i < 5; i++)
            await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", $$$"""{"metadata":{"name":"cm-{{{i}}}"}}""");

        var (code, list) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=2&resourceVersion=0");

        Assert.Equal(200, code);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"cm-{i}"), Names(list!));
        Assert.Null(list!["metadata"]!["continue"]);
    }

    [Fact]
    public async Task List_WithAContinueTokenOlderThanCompaction_Gets410()
    {
        var ns = await CreateNamespaceAsync();
        for (var i = 0; i < 3; i++)
            await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", $$$"""{"metadata":{"name":"cm-{{{i}}}"}}""");
        var (_, first) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=1");
        await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"later"}}""");
        await server.Store.CompactAsync((await server.Store.GetStatusAsync(CancellationToken.None)).Revision, CancellationToken.None);

        var token = Uri.EscapeDataString(first!["metadata"]!["continue"]!.GetValue<string>());
        var (code, body) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=1&continue={token}");

        Assert.Equal(410, code);
        Assert.Equal("Expired", body!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_WithSelectors_FiltersAndRefusesUnknownFields()
    {
        var ns = await CreateNamespaceAsync();
        foreach (var (name, labels) in new[] { ("a", """{"tier":"web","env":"prod"}"""), ("b", """{"tier":"db"}"""), ("c", "{}") })
            await server.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", $$$"""{"metadata":{"name":"{{{name}}}","labels":{{{labels}}}}}""");

        async Task<List<string>> ListAsync(string query) =>
            Names((await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?{query}")).Body!);

        Assert.Equal(["a", "b"], await ListAsync("labelSelector=" + Uri.EscapeDataString("tier in (web,db)")));
        Assert.Equal(["b", "c"], await ListAsync("labelSelector=" + Uri.EscapeDataString("env!=prod")));
        Assert.Equal(["c"], await ListAsync("labelSelector=" + Uri.EscapeDataString("!tier")));
        Assert.Equal(["b"], await ListAsync("fieldSelector=metadata.name%3Db"));
        var (code, body) = await server.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?fieldSelector=spec.nodeName%3Dx");
        Assert.Equal(400, code);
        Assert.Equal("field label not supported: spec.nodeName", body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_OfAnObjectWithFinalizers_MarksItUntilTheLastFinalizerGoes()
    {
        await server.SendAsync(HttpMethod.Post, ConfigMaps, $$$"""{"metadata":{"name":"{{{_name}}}","finalizers":["example.com/hold"]}}""");

        var (code, marked) = await server.SendAsync(HttpMethod.Delete, $"{ConfigMaps}/{_name}");
        var (_, stillThere) = await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/{_name}");
        var (patchCode, _) = await server.SendAsync(HttpMethod.Patch, $"{ConfigMaps}/{_name}", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        var (goneCode, _) = await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/{_name}");

        Assert.Equal(200, code);
        Assert.NotNull(marked!["metadata"]!["deletionTimestamp"]);
        Assert.NotNull(stillThere!["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, patchCode);
        Assert.Equal(404, goneCode);
    }

    [Fact]
    public async Task Delete_OfAPodOnANode_IsGracefulAndOfAnUnboundPodImmediate()
    {
        var pods = "/api/v1/namespaces/default/pods";
        await server.SendAsync(HttpMethod.Post, pods, $$$"""{"metadata":{"name":"{{{_name}}}-bound"},"spec":{"nodeName":"node-1","terminationGracePeriodSeconds":20,"containers":[{"name":"c","image":"busybox"}]}}""");
        await server.SendAsync(HttpMethod.Post, pods, $$$"""{"metadata":{"name":"{{{_name}}}-free"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");

        var (_, bound) = await server.SendAsync(HttpMethod.Delete, $"{pods}/{_name}-bound");
        await server.SendAsync(HttpMethod.Delete, $"{pods}/{_name}-free");

        Assert.Equal(20, bound!["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());
        Assert.NotNull(bound["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"{pods}/{_name}-bound")).Code);
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{pods}/{_name}-free")).Code);
        var (forced, _) = await server.SendAsync(HttpMethod.Delete, $"{pods}/{_name}-bound", """{"gracePeriodSeconds":0}""");
        Assert.Equal(200, forced);
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{pods}/{_name}-bound")).Code);
    }

    [Fact]
    public async Task StatusSubresource_ChangesOnlyStatus_AndSpecChangesBumpGeneration()
    {
        var deployments = "/apis/apps/v1/namespaces/default/deployments";
        var spec = """{"replicas":1,"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}""";
        var (_, created) = await server.SendAsync(HttpMethod.Post, deployments, $$$"""{"metadata":{"name":"{{{_name}}}"},"spec":{{{spec}}},"status":{"replicas":9}}""");

        var (_, viaMain) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}", """{"status":{"replicas":5}}""", "application/merge-patch+json");
        var (_, viaStatus) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}/status", """{"spec":{"replicas":7},"status":{"replicas":5}}""", "application/merge-patch+json");
        var (_, scaled) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}", """{"spec":{"replicas":3}}""", "application/merge-patch+json");

        Assert.Equal(1, created!["metadata"]!["generation"]!.GetValue<long>());
        Assert.Null(viaMain!["status"]?["replicas"]);
        Assert.Equal(5, viaStatus!["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, viaStatus["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, viaStatus["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(3, scaled!["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(2, scaled["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(5, scaled["status"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task Discovery_IsAggregatedWhenAskedAndLegacyOtherwise()
    {
        using var aggregated = new HttpRequestMessage(HttpMethod.Get, "/apis");
        aggregated.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        using var response = await server.Admin.SendAsync(aggregated);
        var (_, legacy) = await server.SendAsync(HttpMethod.Get, "/apis");
        var (_, apps) = await server.SendAsync(HttpMethod.Get, "/apis/apps/v1");

        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", response.Content.Headers.ContentType!.ToString().Replace(" ", "", StringComparison.Ordinal));
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("APIGroupDiscoveryList", list["kind"]!.GetValue<string>());
        Assert.Equal("APIGroupList", legacy!["kind"]!.GetValue<string>());
        var resources = apps!["resources"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("deployments/scale", resources);
    }

    [Fact]
    public async Task UnknownPathsAndMethods_GetStatusErrors()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Get, "/api/v1/widgets");
        var (putCode, _) = await server.SendAsync(HttpMethod.Put, ConfigMaps, "{}");

        Assert.Equal(404, code);
        Assert.Equal("the server could not find the requested resource", body!["message"]!.GetValue<string>());
        Assert.Equal(405, putCode);
    }

    [Fact]
    public async Task Binding_AssignsAPodToANodeOnce()
    {
        var pods = "/api/v1/namespaces/default/pods";
        await server.SendAsync(HttpMethod.Post, pods, $$$"""{"metadata":{"name":"{{{_name}}}"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");

        var (code, status) = await server.SendAsync(HttpMethod.Post, $"{pods}/{_name}/binding",
            $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{_name}}}"},"target":{"kind":"Node","name":"node-a"}}""");
        var (_, pod) = await server.SendAsync(HttpMethod.Get, $"{pods}/{_name}");
        var (again, _) = await server.SendAsync(HttpMethod.Post, $"{pods}/{_name}/binding",
            $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{_name}}}"},"target":{"kind":"Node","name":"node-b"}}""");

        Assert.Equal(201, code);
        Assert.Equal("Success", status!["status"]!.GetValue<string>());
        Assert.Equal("node-a", pod!["spec"]!["nodeName"]!.GetValue<string>());
        Assert.Contains(pod["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "PodScheduled" && c["status"]!.GetValue<string>() == "True");
        Assert.Equal(409, again);
    }

    [Fact]
    public async Task Eviction_IsRefusedWhileADisruptionBudgetAllowsNone()
    {
        var ns = await CreateNamespaceAsync();
        var pods = $"/api/v1/namespaces/{ns}/pods";
        await server.SendAsync(HttpMethod.Post, pods, """{"metadata":{"name":"guarded","labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");
        await server.SendAsync(HttpMethod.Post, pods, """{"metadata":{"name":"free","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");
        await server.SendAsync(HttpMethod.Post, $"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
            """{"metadata":{"name":"db"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"db"}}}}""");

        var (refused, body) = await server.SendAsync(HttpMethod.Post, $"{pods}/guarded/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"guarded"}}""");
        var (evicted, _) = await server.SendAsync(HttpMethod.Post, $"{pods}/free/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"free"}}""");

        Assert.Equal(429, refused);
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", body!["message"]!.GetValue<string>());
        Assert.Equal(200, (await server.SendAsync(HttpMethod.Get, $"{pods}/guarded")).Code);
        Assert.Equal(201, evicted);
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{pods}/free")).Code);
    }

    [Fact]
    public async Task Create_FromYaml_TypesPlainScalarsAndKeepsQuotedOnesAsStrings()
    {
        var yaml = $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {_name}\n  labels:\n    version: \"3\"\nspec:\n  replicas: 3\n  paused: yes\n" +
            "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";

        var (code, body) = await server.SendAsync(HttpMethod.Post, "/apis/apps/v1/namespaces/default/deployments", yaml, "application/yaml");

        Assert.Equal(201, code);
        Assert.Equal(3, body!["spec"]!["replicas"]!.GetValue<long>());
        Assert.True(body["spec"]!["paused"]!.GetValue<bool>());
        Assert.Equal("3", body["metadata"]!["labels"]!["version"]!.GetValue<string>());
        Assert.Equal("nginx", body["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_FromMalformedYaml_Gets400WithThePosition()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, ConfigMaps, "metadata:\n  name: [unclosed\n", "application/yaml");

        Assert.Equal(400, code);
        Assert.StartsWith("the request body is not valid YAML: line 3, column 1:", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"metadata\":{\"name\":\"x\",\"labels\":\"web\"}}", "cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string")]
    [InlineData("{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":1}}}", "cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")]
    [InlineData("{\"metadata\":{\"name\":\"x\",\"finalizers\":\"f\"}}", "cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string")]
    [InlineData("{\"metadata\":{\"name\":7}}", "cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string")]
    [InlineData("{\"apiVersion\":1,\"metadata\":{\"name\":\"x\"}}", "cannot unmarshal number into Go struct field .apiVersion of type string")]
    public async Task Create_WithWronglyTypedCommonFields_Gets400AndStoresNothing(string body, string message)
    {
        var (code, status) = await server.SendAsync(HttpMethod.Post, ConfigMaps, body);

        Assert.Equal(400, code);
        Assert.Equal($"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: {message}", status!["message"]!.GetValue<string>());
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/x")).Code);
    }

    [Fact]
    public async Task Patch_ThatRenamesTheObject_Gets422()
    {
        await server.SendAsync(HttpMethod.Post, ConfigMaps, $$$"""{"metadata":{"name":"{{{_name}}}"}}""");

        var (code, body) = await server.SendAsync(HttpMethod.Patch, $"{ConfigMaps}/{_name}", """{"metadata":{"name":"other"}}""", "application/merge-patch+json");

        Assert.Equal(422, code);
        Assert.Equal("metadata.name", body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{ConfigMaps}/other")).Code);
    }

    [Fact]
    public async Task ScalePatch_ThatIsMalformedOrOfAnotherType_GetsAStatusNot500()
    {
        var deployments = "/apis/apps/v1/namespaces/default/deployments";
        await server.SendAsync(HttpMethod.Post, deployments, """
            {"metadata":{"name":"NAME"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"x"}},
             "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """.Replace("NAME", _name, StringComparison.Ordinal));

        var (malformed, _) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}/scale", "{not json", "application/merge-patch+json");
        var (wrongType, _) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}/scale", "{}", "application/apply-patch+yaml");
        var (scaled, scale) = await server.SendAsync(HttpMethod.Patch, $"{deployments}/{_name}/scale", """{"spec":{"replicas":4}}""", "application/merge-patch+json");

        Assert.Equal(400, malformed);
        Assert.Equal(415, wrongType);
        Assert.Equal(200, scaled);
        Assert.Equal(4, scale!["spec"]!["replicas"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteCollection_DeletesWhatTheSelectorMatchesAndNothingElse()
    {
        var ns = await CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        foreach (var (name, app) in new[] { ("a", "x"), ("b", "x"), ("c", "y") })
            await server.SendAsync(HttpMethod.Post, path, "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"" + app + "\"}}}");

        var (code, deleted) = await server.SendAsync(HttpMethod.Delete, $"{path}?labelSelector=app%3Dx");
        var (_, left) = await server.SendAsync(HttpMethod.Get, path);

        Assert.Equal(200, code);
        Assert.Equal(["a", "b"], Names(deleted!));
        Assert.Equal(["c"], Names(left!));
    }

    private async Task<string> CreateNamespaceAsync()
    {
        var (code, _) = await server.SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"metadata":{"name":"{{{_name}}}"}}""");
        Assert.Equal(201, code);
        return _name;
    }

    private static List<string> Names(JsonNode list) =>
        [.. list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];
}
