using System.Text.Json.Nodes;
using Berth.Agent.Cri;
using Berth.Agent.Pods;
using Berth.Agent.Runtime;

namespace Berth.Agent.Tests;

/// <summary>A pod's resolv.conf (CRI's DNSConfig) by its dnsPolicy and dnsConfig, as upstream's kubelet writes it.</summary>
public sealed class PodDnsTests
{
    private const string Host = """
        # written by the host's network manager
        nameserver 10.0.0.2
        ; an old-style comment
        nameserver 10.0.0.3
        search corp.example lab.example.
        options rotate timeout:2
        """;

    private static readonly string[] ClusterSearches = ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"];

    public static TheoryData<string, string, string[], string[], string[]> Cases => new()
    {
        // ClusterFirst, the default: cluster DNS, the cluster's search domains then the host's, ndots:5.
        { """{}""", Host, ["10.43.0.10"], [.. ClusterSearches, "corp.example", "lab.example"], ["ndots:5"] },
        { """{"dnsPolicy": "ClusterFirst"}""", Host, ["10.43.0.10"], [.. ClusterSearches, "corp.example", "lab.example"], ["ndots:5"] },
        // ... except on the host's network, where it is the host's resolver, unless asked for with ClusterFirstWithHostNet.
        { """{"dnsPolicy": "ClusterFirst", "hostNetwork": true}""", Host, ["10.0.0.2", "10.0.0.3"], ["corp.example", "lab.example"], ["rotate", "timeout:2"] },
        { """{"hostNetwork": true}""", Host, ["10.0.0.2", "10.0.0.3"], ["corp.example", "lab.example"], ["rotate", "timeout:2"] },
        { """{"dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": true}""", Host, ["10.43.0.10"], [.. ClusterSearches, "corp.example", "lab.example"], ["ndots:5"] },
        // Default: the host's resolv.conf.
        { """{"dnsPolicy": "Default"}""", Host, ["10.0.0.2", "10.0.0.3"], ["corp.example", "lab.example"], ["rotate", "timeout:2"] },
        { """{"dnsPolicy": "Default"}""", "", [], [], [] },
        // None: only what dnsConfig says.
        { """
          {"dnsPolicy": "None", "dnsConfig": {"nameservers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
           "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}}
          """, Host, ["192.0.2.1"], ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"], ["ndots:2", "edns0"] },
        { """{"dnsPolicy": "None"}""", Host, [], [], [] },
        // dnsConfig adds to the policy's: appended without duplicates, options replaced by name.
        { """
          {"dnsConfig": {"nameservers": ["10.43.0.10", "192.0.2.1"], "searches": ["svc.cluster.local", "extra.example"],
           "options": [{"name": "ndots", "value": "2"}, {"name": "timeout", "value": "1"}, {"name": "single-request-reopen"}]}}
          """, Host, ["10.43.0.10", "192.0.2.1"], [.. ClusterSearches, "corp.example", "lab.example", "extra.example"], ["ndots:2", "timeout:1", "single-request-reopen"] },
        { """{"dnsPolicy": "Default", "dnsConfig": {"options": [{"name": "rotate"}, {"name": "timeout", "value": "5"}, {"name": "attempts", "value": "3"}]}}""",
            Host, ["10.0.0.2", "10.0.0.3"], ["corp.example", "lab.example"], ["rotate", "timeout:5", "attempts:3"] },
        // At most three nameservers.
        { """{"dnsConfig": {"nameservers": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}}""", Host, ["10.43.0.10", "192.0.2.1", "192.0.2.2"],
            [.. ClusterSearches, "corp.example", "lab.example"], ["ndots:5"] },
        // The host's search domains that the cluster's already are count once.
        { """{}""", "search cluster.local corp.example\nnameserver 10.0.0.2", ["10.43.0.10"], [.. ClusterSearches, "corp.example"], ["ndots:5"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void For_WhenThePodAsks_ThenItsResolvConfIsKubelets(string spec, string hostResolvConf, string[] servers, string[] searches, string[] options)
    {
        var config = new PodDns(["10.43.0.10"], "cluster.local", () => hostResolvConf).For(Pod(spec));

        Assert.Equal(servers, config.Servers);
        Assert.Equal(searches, config.Searches);
        Assert.Equal(options, config.Options);
    }

    [Fact]
    public void For_WhenTheSearchListIsTooLong_ThenItIsCutAsKubeletCutsIt()
    {
        var domains = Enumerable.Range(0, 40).Select(i => $"d{i}.example").ToList();
        domains.Insert(5, new string('x', 250) + ".example");
        var spec = new JsonObject { ["dnsPolicy"] = "None", ["dnsConfig"] = new JsonObject { ["searches"] = new JsonArray([.. domains.Select(d => (JsonNode)d)]) } };

        var config = new PodDns(["10.43.0.10"], "cluster.local", () => "").For(Pod(spec.ToJsonString()));

        // The first 32, less the one longer than 253 characters.
        Assert.Equal([.. domains.Take(32).Where(d => d.Length <= PodDns.MaxSearchPathLength)], config.Searches);

        var longDomains = Enumerable.Range(0, 32).Select(i => $"{i:D2}" + new string('y', 71) + ".example").ToList();
        spec["dnsConfig"]!["searches"] = new JsonArray([.. longDomains.Select(d => (JsonNode)d)]);
        config = new PodDns(["10.43.0.10"], "cluster.local", () => "").For(Pod(spec.ToJsonString()));

        // 81 characters each: 25 of them (2,049 with the spaces) would be too many, 24 fit.
        Assert.Equal(longDomains.Take(24), config.Searches);
        Assert.True(string.Join(' ', config.Searches).Length <= PodDns.MaxSearchListChars);
    }

    [Fact]
    public void For_WhenTheClusterHasSeveralDnsServersOrNone_ThenClusterFirstNamesThemOrFallsBackToTheHost()
    {
        var pod = Pod("""{}""");

        Assert.Equal(["10.43.0.10", "10.43.0.11"], new PodDns("10.43.0.10, 10.43.0.11", "cluster.local").For(pod).Servers);
        var none = new PodDns([], "cluster.local", () => Host).For(pod);
        Assert.Equal(["10.0.0.2", "10.0.0.3"], none.Servers);
        Assert.Equal(["corp.example", "lab.example"], none.Searches);
    }

    [Fact]
    public void Parse_WhenTheFileHasSeveralSearchLinesAndRepeatedOptions_ThenTheLastOnesCount()
    {
        var (servers, searches, options) = PodDns.Parse("nameserver\t10.0.0.2\r\nsearch a.example\nsearch b.example. .\noptions ndots:1 rotate\noptions ndots:3\n#nameserver 10.0.0.9\nnameserver\n");

        Assert.Equal(["10.0.0.2"], servers);
        Assert.Equal(["b.example"], searches);
        Assert.Equal(["ndots:3", "rotate"], options);
    }

    [Fact]
    public void For_WhenTheClusterDomainIsNotClusterLocal_ThenItIsTheOneSearched()
    {
        var config = new PodDns(["10.43.0.10"], "berth.example.", () => "").For(Pod("""{}"""));

        Assert.Equal(["shop.svc.berth.example", "svc.berth.example", "berth.example"], config.Searches);
    }

    [Fact]
    public void SandboxConfig_WhenBuiltForRunPodSandbox_ThenItCarriesThePodsDnsConfig()
    {
        var pod = Pod("""{"dnsConfig": {"options": [{"name": "edns0"}]}}""");

        var sandbox = SandboxConfigs.For(pod, new PodSandboxConfig("web-0", "shop", "uid-1", 0), new CriPaths("/var/log/pods", "/berth"),
            new PodDns(["10.43.0.10"], "cluster.local", () => "search corp.example"));

        Assert.Equal(["10.43.0.10"], sandbox.DnsConfig.Servers);
        Assert.Equal([.. ClusterSearches, "corp.example"], sandbox.DnsConfig.Searches);
        Assert.Equal(["ndots:5", "edns0"], sandbox.DnsConfig.Options);
    }

    private static JsonObject Pod(string spec) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "web-0", ["namespace"] = "shop" },
        ["spec"] = JsonNode.Parse(spec)!,
    };
}
