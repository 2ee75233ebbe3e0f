using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>Invalid objects through the real kubectl: 422 with upstream's field paths and messages, and nothing stored or changed.</summary>
public sealed class ObjectValidationTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME"},"spec":{"selector":{"matchLabels":{"app":"x"}},
         "template":{"metadata":{"labels":{"app":"LABEL"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}
        """;

    private readonly TempDirectory _files = new("invalid");
    private readonly string _ns = "inv-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Create_WhenTheSelectorDoesNotMatchTheTemplate_ThenKubectlPrintsUpstreamsMessage()
    {
        var (code, _, error) = await CreateAsync(Deployment.Replace("NAME", "bad", StringComparison.Ordinal).Replace("LABEL", "y", StringComparison.Ordinal));

        Assert.NotEqual(0, code);
        Assert.Contains("The Deployment \"bad\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"y\"}: `selector` does not match template `labels`",
            error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenAPodHasSeveralProblems_ThenEachIsNamedInOneAnswer()
    {
        var (code, _, error) = await CreateAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"tier":"bad value!"}},
             "spec":{"containers":[{"name":"c"},{"name":"c","image":"nginx","ports":[{"containerPort":70000}]}]}}
            """);

        Assert.NotEqual(0, code);
        // kubectl lists several causes one per line.
        Assert.Contains("The Pod \"p\" is invalid: \n* metadata.labels: Invalid value: \"bad value!\": a valid label must be an empty string or consist of " +
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", error, StringComparison.Ordinal);
        Assert.Contains("\n* spec.containers[0].image: Required value\n* spec.containers[1].name: Duplicate value: \"c\"\n" +
            "* spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive", error, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Kubectl.RunAsync("get", "pod", "p", "-n", _ns)).ExitCode);
    }

    [Fact]
    public async Task Patch_WhenItChangesTheSelector_ThenItIsRefusedAsImmutableAndNothingChanges()
    {
        Assert.Equal(0, (await CreateAsync(Deployment.Replace("NAME", "web", StringComparison.Ordinal).Replace("LABEL", "x", StringComparison.Ordinal))).ExitCode);
        var before = (await Kubectl.RunAsync("get", "deployment", "web", "-n", _ns, "-o", "jsonpath={.metadata.resourceVersion}")).Out;

        var (code, _, error) = await Kubectl.RunAsync("patch", "deployment", "web", "-n", _ns, "--type=merge", "-p",
            """{"spec":{"selector":{"matchLabels":{"app":"z"}},"template":{"metadata":{"labels":{"app":"z"}}}}}""");

        Assert.NotEqual(0, code);
        Assert.Contains("The Deployment \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"z\"}, " +
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable", error, StringComparison.Ordinal);
        Assert.Equal(before, (await Kubectl.RunAsync("get", "deployment", "web", "-n", _ns, "-o", "jsonpath={.metadata.resourceVersion}")).Out);
    }

    [Fact]
    public async Task Create_WhenAServiceOrAJobIsWrong_ThenTheirOwnRulesAnswer()
    {
        var service = await CreateAsync("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80},{"port":70000,"name":"b"}]}}
            """);
        var job = await CreateAsync("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"busybox"}]}}}}
            """);

        Assert.Contains("The Service \"s\" is invalid: \n* spec.ports[0].name: Required value\n* spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            service.Err, StringComparison.Ordinal);
        Assert.Contains("The Job \"j\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
            job.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenAnEndpointSliceHasWhatNoProxyMayTake_ThenEachIsACauseAndAGoodOneIsDefaulted()
    {
        var bad = await CreateAsync("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"bad"},"addressType":"IPv4",
             "endpoints":[{"addresses":["10.42.0.5; flush ruleset"]},{"addresses":[]},{"addresses":["0.0.0.0"],"hostname":"Web_1"}],
             "ports":[{"name":"http web","port":80},{"name":"x","port":81,"protocol":"ICMP"}]}
            """);
        var good = await CreateAsync("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"good"},"addressType":"IPv4",
             "endpoints":[{"addresses":["10.42.0.5"]}],"ports":[{"port":80}]}
            """);

        Assert.Contains("The EndpointSlice \"bad\" is invalid: \n" +
            "* endpoints[0].addresses[0]: Invalid value: \"10.42.0.5; flush ruleset\": must be a valid IPv4 address\n" +
            "* endpoints[1].addresses: Required value: must contain at least 1 address\n" +
            "* endpoints[2].addresses[0]: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)\n" +
            "* endpoints[2].hostname: Invalid value: \"Web_1\": a lowercase RFC 1123 label", bad.Err, StringComparison.Ordinal);
        Assert.Contains("* ports[0].name: Invalid value: \"http web\": a lowercase RFC 1123 label", bad.Err, StringComparison.Ordinal);
        Assert.Contains("* ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"", bad.Err, StringComparison.Ordinal);
        Assert.Equal(0, good.ExitCode);
        Assert.Equal("TCP", (await Kubectl.SucceedAsync("get", "endpointslice", "good", "-n", _ns, "-o", "jsonpath={.ports[0].protocol}")).Out);
    }

    [Fact]
    public async Task Create_WhenAServiceAsksForTwoAddressesOfOneFamily_ThenItIsRefused()
    {
        var (code, _, error) = await CreateAsync("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"two"},"spec":{"clusterIP":"10.43.0.50","clusterIPs":["10.43.0.50","10.43.0.51"],"ports":[{"port":80}]}}
            """);

        Assert.NotEqual(0, code);
        Assert.Contains("spec.clusterIPs: Invalid value: []string{\"10.43.0.50\", \"10.43.0.51\"}: may specify no more than one IP for each IP family", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenAServicesPortNamesProtocolsOrPoliciesAreWrong_ThenEachIsACause()
    {
        var (code, _, error) = await CreateAsync("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"odd"},"spec":{"ports":[{"name":"Web Port","port":80},{"name":"b","port":81,"protocol":"ICMP"}],
             "internalTrafficPolicy":"Nearby","sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":86401}}}}
            """);

        Assert.NotEqual(0, code);
        Assert.Contains("* spec.ports[0].name: Invalid value: \"Web Port\": a lowercase RFC 1123 label", error, StringComparison.Ordinal);
        Assert.Contains("* spec.ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"", error, StringComparison.Ordinal);
        Assert.Contains("* spec.internalTrafficPolicy: Unsupported value: \"Nearby\": supported values: \"Cluster\", \"Local\"", error, StringComparison.Ordinal);
        Assert.Contains("* spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400", error, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Create_WhenResourcesProbesOrVolumesAreWrong_ThenEachIsACauseAndABadQuantityIsADecodingError()
    {
        var (_, _, quantity) = await CreateAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},"spec":{"containers":[{"name":"c","image":"busybox","resources":{"limits":{"cpu":"lots"}}}]}}
            """);
        var (code, _, error) = await CreateAsync("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{
              "volumes":[{"name":"data","emptyDir":{}},{"name":"data","emptyDir":{}}],
              "containers":[{"name":"c","image":"busybox","volumeMounts":[{"name":"cache","mountPath":"/cache"}],
                "resources":{"requests":{"cpu":"2","memory":"-1Mi"},"limits":{"cpu":"1"}},
                "livenessProbe":{"periodSeconds":-5,"successThreshold":2,"exec":{"command":["true"]},"tcpSocket":{"port":80}},
                "readinessProbe":{"periodSeconds":5}}]}}
            """);

        Assert.Contains("Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", quantity, StringComparison.Ordinal);
        Assert.NotEqual(0, code);
        Assert.Contains("* spec.volumes[1].name: Duplicate value: \"data\"", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].volumeMounts[0].name: Not found: \"cache\"", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].resources.requests.memory: Invalid value: \"-1Mi\": must be greater than or equal to 0", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1", error, StringComparison.Ordinal);
        Assert.Contains("* spec.containers[0].readinessProbe: Required value: must specify a handler type", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_WhenItChangesWhatIsFixedOnceCreated_ThenUpstreamsMessagesAndWhatMayChangeDoes()
    {
        Assert.Equal(0, (await CreateAsync("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox:1"}]}}""")).ExitCode);
        Assert.Equal(0, (await CreateAsync("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"10.43.0.50","ports":[{"port":80}]}}""")).ExitCode);
        Assert.Equal(0, (await CreateAsync("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox:1"}]}}}}
            """)).ExitCode);

        var image = await Kubectl.RunAsync("patch", "pod", "p", "-n", _ns, "-p", """{"spec":{"containers":[{"name":"c","image":"busybox:2"}]}}""");
        var toleration = await Kubectl.RunAsync("patch", "pod", "p", "-n", _ns, "--type=json", "-p", """[{"op":"add","path":"/spec/tolerations/-","value":{"key":"k","operator":"Exists"}}]""");
        var fewerTolerations = await Kubectl.RunAsync("patch", "pod", "p", "-n", _ns, "--type=json", "-p", """[{"op":"remove","path":"/spec/tolerations/0"}]""");
        var restart = await Kubectl.RunAsync("patch", "pod", "p", "-n", _ns, "-p", """{"spec":{"restartPolicy":"Never"}}""");
        var clusterIp = await Kubectl.RunAsync("patch", "service", "s", "-n", _ns, "-p", """{"spec":{"clusterIP":"10.43.0.51"}}""");
        var labels = await Kubectl.RunAsync("label", "service", "s", "-n", _ns, "tier=web");
        var template = await Kubectl.RunAsync("set", "image", "job/j", "c=busybox:2", "-n", _ns);

        Assert.True(image.ExitCode == 0, image.Err);
        Assert.True(toleration.ExitCode == 0, toleration.Err);
        Assert.Contains("pod updates may not change fields other than", fewerTolerations.Err, StringComparison.Ordinal);
        Assert.Contains("The Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`", restart.Err, StringComparison.Ordinal);
        Assert.Contains("The Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.43.0.51\"}: may not change once set", clusterIp.Err, StringComparison.Ordinal);
        Assert.True(labels.ExitCode == 0, labels.Err);
        Assert.Contains("spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable", template.Err, StringComparison.Ordinal);
        // A replace that leaves the cluster IP out keeps the one the service has.
        await File.WriteAllTextAsync(_files.File("s.json"), """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}""");
        var replaced = await Kubectl.RunAsync("replace", "-f", _files.File("s.json"), "-n", _ns);
        Assert.True(replaced.ExitCode == 0, replaced.Err);
        Assert.Equal("10.43.0.50", (await Kubectl.RunAsync("get", "service", "s", "-n", _ns, "-o", "jsonpath={.spec.clusterIP}")).Out);
    }

    private async Task<(int ExitCode, string Out, string Err)> CreateAsync(string json)
    {
        await Kubectl.RunAsync("create", "namespace", _ns);
        var path = _files.File($"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        return await Kubectl.RunAsync("create", "-f", path, "-n", _ns);
    }
}
