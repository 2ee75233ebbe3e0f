using System.Text.Json;
using ARSoft.Tools.Net.Dns;
using Berth.Proxy.Dns;

namespace Berth.Proxy.Tests;

/// <summary>The cluster's records as CoreDNS's kubernetes plugin answers them, fed with Services and EndpointSlices as the API serves them.</summary>
public sealed class ClusterDnsRecordsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);
    private static readonly uint Serial = (uint)Now.ToUnixTimeSeconds();

    private const string Web = """
        {"metadata": {"namespace": "default", "name": "web"},
         "spec": {"type": "ClusterIP", "clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"],
                  "ports": [{"name": "http", "protocol": "TCP", "port": 80}, {"name": "dns", "protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 8080}]}}
        """;

    private const string Pg = """
        {"metadata": {"namespace": "db", "name": "pg"},
         "spec": {"clusterIP": "None", "ports": [{"name": "pg", "protocol": "TCP", "port": 5432}]}}
        """;

    private const string PgSlice = """
        {"metadata": {"namespace": "db", "name": "pg-abcde", "labels": {"kubernetes.io/service-name": "pg"}},
         "addressType": "IPv4",
         "endpoints": [
           {"addresses": ["10.42.0.10"], "hostname": "pg-0", "conditions": {"ready": true}},
           {"addresses": ["10.42.0.11"], "hostname": "pg-1", "conditions": {"ready": true}},
           {"addresses": ["10.42.0.12"]},
           {"addresses": ["10.42.0.13"], "hostname": "pg-3", "conditions": {"ready": false}}],
         "ports": [{"name": "pg", "protocol": "TCP", "port": 5432}]}
        """;

    private const string Empty = """{"metadata": {"namespace": "db", "name": "empty"}, "spec": {"clusterIP": "None"}}""";

    private const string Ext = """{"metadata": {"namespace": "default", "name": "ext"}, "spec": {"type": "ExternalName", "externalName": "example.com."}}""";

    private const string Alias = """{"metadata": {"namespace": "default", "name": "alias"}, "spec": {"type": "ExternalName", "externalName": "web.default.svc.cluster.local"}}""";

    public static TheoryData<string, RecordType, ReturnCode, string[]> Cases => new()
    {
        // A service with a cluster IP.
        { "web.default.svc.cluster.local", RecordType.A, ReturnCode.NoError, ["web.default.svc.cluster.local A 10.43.0.5"] },
        { "web.default.svc.cluster.local.", RecordType.A, ReturnCode.NoError, ["web.default.svc.cluster.local A 10.43.0.5"] },
        { "WEB.Default.SVC.Cluster.Local", RecordType.A, ReturnCode.NoError, ["web.default.svc.cluster.local A 10.43.0.5"] },
        { "web.default.svc.cluster.local", RecordType.Aaaa, ReturnCode.NoError, [] },
        { "web.default.svc.cluster.local", RecordType.Srv, ReturnCode.NoError,
            ["web.default.svc.cluster.local SRV 0 33 80 web.default.svc.cluster.local",
             "web.default.svc.cluster.local SRV 0 33 53 web.default.svc.cluster.local",
             "web.default.svc.cluster.local SRV 0 33 8080 web.default.svc.cluster.local"] },
        { "_http._tcp.web.default.svc.cluster.local", RecordType.Srv, ReturnCode.NoError, ["_http._tcp.web.default.svc.cluster.local SRV 0 100 80 web.default.svc.cluster.local"] },
        { "_dns._udp.web.default.svc.cluster.local", RecordType.Srv, ReturnCode.NoError, ["_dns._udp.web.default.svc.cluster.local SRV 0 100 53 web.default.svc.cluster.local"] },
        { "_DNS._UDP.web.default.svc.cluster.local.", RecordType.Srv, ReturnCode.NoError, ["_dns._udp.web.default.svc.cluster.local SRV 0 100 53 web.default.svc.cluster.local"] },
        { "_http._udp.web.default.svc.cluster.local", RecordType.Srv, ReturnCode.NxDomain, [] },
        { "_tcp.web.default.svc.cluster.local", RecordType.Srv, ReturnCode.NoError, [] },
        { "5.0.43.10.in-addr.arpa", RecordType.Ptr, ReturnCode.NoError, ["5.0.43.10.in-addr.arpa PTR web.default.svc.cluster.local"] },
        { "5.0.43.10.in-addr.arpa.", RecordType.A, ReturnCode.NoError, [] },

        // A headless service: its ready endpoints, by hostname or dashed address.
        { "pg.db.svc.cluster.local", RecordType.A, ReturnCode.NoError,
            ["pg.db.svc.cluster.local A 10.42.0.10", "pg.db.svc.cluster.local A 10.42.0.11", "pg.db.svc.cluster.local A 10.42.0.12"] },
        { "pg-0.pg.db.svc.cluster.local", RecordType.A, ReturnCode.NoError, ["pg-0.pg.db.svc.cluster.local A 10.42.0.10"] },
        { "PG-1.pg.db.svc.cluster.local.", RecordType.A, ReturnCode.NoError, ["pg-1.pg.db.svc.cluster.local A 10.42.0.11"] },
        { "10-42-0-12.pg.db.svc.cluster.local", RecordType.A, ReturnCode.NoError, ["10-42-0-12.pg.db.svc.cluster.local A 10.42.0.12"] },
        { "pg-3.pg.db.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "10-42-0-13.pg.db.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "_pg._tcp.pg.db.svc.cluster.local", RecordType.Srv, ReturnCode.NoError,
            ["_pg._tcp.pg.db.svc.cluster.local SRV 0 33 5432 pg-0.pg.db.svc.cluster.local",
             "_pg._tcp.pg.db.svc.cluster.local SRV 0 33 5432 pg-1.pg.db.svc.cluster.local",
             "_pg._tcp.pg.db.svc.cluster.local SRV 0 33 5432 10-42-0-12.pg.db.svc.cluster.local"] },
        { "10.0.42.10.in-addr.arpa", RecordType.Ptr, ReturnCode.NoError, ["10.0.42.10.in-addr.arpa PTR pg-0.pg.db.svc.cluster.local"] },
        { "12.0.42.10.in-addr.arpa", RecordType.Ptr, ReturnCode.NoError, ["12.0.42.10.in-addr.arpa PTR 10-42-0-12.pg.db.svc.cluster.local"] },
        { "empty.db.svc.cluster.local", RecordType.A, ReturnCode.NoError, [] },

        // ExternalName services alias another name; one inside the cluster comes with its records.
        { "ext.default.svc.cluster.local", RecordType.A, ReturnCode.NoError, ["ext.default.svc.cluster.local CNAME example.com"] },
        { "ext.default.svc.cluster.local", RecordType.CName, ReturnCode.NoError, ["ext.default.svc.cluster.local CNAME example.com"] },
        { "alias.default.svc.cluster.local", RecordType.A, ReturnCode.NoError,
            ["alias.default.svc.cluster.local CNAME web.default.svc.cluster.local", "web.default.svc.cluster.local A 10.43.0.5"] },

        // Pods by address, unchecked ("pods insecure").
        { "10-42-0-99.default.pod.cluster.local", RecordType.A, ReturnCode.NoError, ["10-42-0-99.default.pod.cluster.local A 10.42.0.99"] },
        { "10-42-0-99.anywhere.POD.cluster.local.", RecordType.A, ReturnCode.NoError, ["10-42-0-99.anywhere.POD.cluster.local A 10.42.0.99"] },
        { "10-42-0-99.default.pod.cluster.local", RecordType.Aaaa, ReturnCode.NoError, [] },
        { "10-42-0-999.default.pod.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "not-an-ip.default.pod.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },

        // Names that exist without records, and names that do not exist.
        { "cluster.local", RecordType.A, ReturnCode.NoError, [] },
        { "cluster.local", RecordType.Ns, ReturnCode.NoError, ["cluster.local NS ns.dns.cluster.local"] },
        { "svc.cluster.local", RecordType.A, ReturnCode.NoError, [] },
        { "default.svc.cluster.local", RecordType.A, ReturnCode.NoError, [] },
        { "dns-version.cluster.local", RecordType.Txt, ReturnCode.NoError, ["dns-version.cluster.local TXT 1.1.0"] },
        { "nope.default.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "web.nope.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "nope.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "web.default.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
        { "a.web.default.svc.cluster.local", RecordType.A, ReturnCode.NxDomain, [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lookup_WhenAsked_ThenAnswersAsCoreDns(string name, RecordType type, ReturnCode code, string[] answers)
    {
        var records = Cluster();

        var answer = records.Lookup(name, type);

        Assert.Equal(code, answer.Code);
        Assert.Equal(answers, answer.Answers.Select(Describe));
        if (answers.Length == 0)
        {
            // NXDOMAIN and NODATA carry the zone's SOA, as CoreDNS sends it.
            var soa = Assert.IsType<SoaRecord>(Assert.Single(answer.Authority));
            var zone = name.Contains("in-addr.arpa", StringComparison.Ordinal) ? "in-addr.arpa" : "cluster.local";
            Assert.Equal($"{zone} SOA ns.dns.{zone} hostmaster.{zone} {Serial} 7200 1800 86400 5", Describe(soa));
            Assert.Equal(5, soa.TimeToLive);
        }
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("kubernetes.io.")]
    [InlineData("cluster.local.example.com")]
    [InlineData("1.0.0.127.in-addr.arpa")]
    [InlineData("")]
    public void Lookup_WhenTheNameIsNotTheClusters_ThenItIsOutside(string name)
    {
        Assert.True(Cluster().Lookup(name, RecordType.A).IsOutside);
    }

    [Fact]
    public void Lookup_WhenAskedForSrv_ThenTheTargetsAddressesComeAlong()
    {
        var records = Cluster();

        Assert.Equal(["web.default.svc.cluster.local A 10.43.0.5"], records.Lookup("_http._tcp.web.default.svc.cluster.local", RecordType.Srv).Additional.Select(Describe));
        Assert.Equal(["pg-0.pg.db.svc.cluster.local A 10.42.0.10", "pg-1.pg.db.svc.cluster.local A 10.42.0.11", "10-42-0-12.pg.db.svc.cluster.local A 10.42.0.12"],
            records.Lookup("pg.db.svc.cluster.local", RecordType.Srv).Additional.Select(Describe));
    }

    [Fact]
    public void Lookup_WhenAskedForTheApexSoa_ThenItsSerialIsTheTimeOfTheLastChange()
    {
        var time = new FixedTime(Now);
        var records = new ClusterDnsRecords("cluster.local", 5, time);
        Assert.Equal($"cluster.local SOA ns.dns.cluster.local hostmaster.cluster.local {Serial} 7200 1800 86400 5", Describe(records.Lookup("cluster.local", RecordType.Soa).Answers.Single()));

        time.Now = Now.AddMinutes(1);
        records.SetService(null, Service(Web));

        Assert.Equal(Serial + 60, ((SoaRecord)records.Lookup("cluster.local.", RecordType.Soa).Answers.Single()).SerialNumber);
        Assert.Equal(Serial + 60, ((SoaRecord)records.Lookup("nope.cluster.local", RecordType.A).Authority.Single()).SerialNumber);
    }

    [Fact]
    public void SetService_WhenAServiceChangesAndGoes_ThenItsOldNamesGoWithIt()
    {
        var records = Cluster();
        var moved = Service(Web.Replace("10.43.0.5", "10.43.0.6", StringComparison.Ordinal).Replace("""{"name": "dns", "protocol": "UDP", "port": 53}, """, "", StringComparison.Ordinal));

        records.SetService(Service(Web), moved);

        Assert.Equal(["web.default.svc.cluster.local A 10.43.0.6"], records.Lookup("web.default.svc.cluster.local", RecordType.A).Answers.Select(Describe));
        Assert.Equal(ReturnCode.NxDomain, records.Lookup("_dns._udp.web.default.svc.cluster.local", RecordType.Srv).Code);
        Assert.True(records.Lookup("5.0.43.10.in-addr.arpa", RecordType.Ptr).IsOutside);
        Assert.Equal(["6.0.43.10.in-addr.arpa PTR web.default.svc.cluster.local"], records.Lookup("6.0.43.10.in-addr.arpa", RecordType.Ptr).Answers.Select(Describe));

        records.SetService(moved, null);
        records.SetService(Service(Ext), null);
        records.SetService(Service(Alias), null);

        Assert.Equal(ReturnCode.NxDomain, records.Lookup("web.default.svc.cluster.local", RecordType.A).Code);
        Assert.Equal(ReturnCode.NxDomain, records.Lookup("_http._tcp.web.default.svc.cluster.local", RecordType.Srv).Code);
        Assert.True(records.Lookup("6.0.43.10.in-addr.arpa", RecordType.Ptr).IsOutside);
        // The namespace has no Services left: its name goes too.
        Assert.Equal(ReturnCode.NxDomain, records.Lookup("default.svc.cluster.local", RecordType.A).Code);
        Assert.Equal(ReturnCode.NoError, records.Lookup("db.svc.cluster.local", RecordType.A).Code);
    }

    [Fact]
    public void SetSlice_WhenSlicesComeBeforeTheirServiceAndChange_ThenTheHeadlessRecordsFollow()
    {
        var records = new ClusterDnsRecords("cluster.local", 5, new FixedTime(Now));
        records.SetSlice(null, Slice(PgSlice));
        Assert.Equal(ReturnCode.NxDomain, records.Lookup("pg.db.svc.cluster.local", RecordType.A).Code);

        records.SetService(null, Service(Pg));
        Assert.Equal(3, records.Lookup("pg.db.svc.cluster.local", RecordType.A).Answers.Count);

        // pg-1 stops being ready, and a second slice brings pg-4.
        var changed = Slice(PgSlice.Replace("""["10.42.0.11"], "hostname": "pg-1", "conditions": {"ready": true}""", """["10.42.0.11"], "hostname": "pg-1", "conditions": {"ready": false}""", StringComparison.Ordinal));
        records.SetSlice(Slice(PgSlice), changed);
        records.SetSlice(null, Slice("""
            {"metadata": {"namespace": "db", "name": "pg-fghij", "labels": {"kubernetes.io/service-name": "pg"}},
             "endpoints": [{"addresses": ["10.42.1.4"], "hostname": "pg-4"}], "ports": [{"name": "pg", "protocol": "TCP", "port": 5432}]}
            """));

        Assert.Equal(["pg.db.svc.cluster.local A 10.42.0.10", "pg.db.svc.cluster.local A 10.42.0.12", "pg.db.svc.cluster.local A 10.42.1.4"],
            records.Lookup("pg.db.svc.cluster.local", RecordType.A).Answers.Select(Describe));
        Assert.Equal(ReturnCode.NxDomain, records.Lookup("pg-1.pg.db.svc.cluster.local", RecordType.A).Code);
        Assert.True(records.Lookup("11.0.42.10.in-addr.arpa", RecordType.Ptr).IsOutside);
        Assert.Equal(["pg-4.pg.db.svc.cluster.local A 10.42.1.4"], records.Lookup("pg-4.pg.db.svc.cluster.local", RecordType.A).Answers.Select(Describe));

        records.SetSlice(changed, null);
        Assert.Equal(["pg.db.svc.cluster.local A 10.42.1.4"], records.Lookup("pg.db.svc.cluster.local", RecordType.A).Answers.Select(Describe));
    }

    [Fact]
    public void SetSlice_WhenTwoHeadlessServicesShareAnAddress_ThenItsPtrNamesBothUntilOneGoes()
    {
        var records = Cluster();
        var other = Service(Pg.Replace("\"pg\"}", "\"pg2\"}", StringComparison.Ordinal));
        var otherSlice = Slice(PgSlice.Replace("service-name\": \"pg\"", "service-name\": \"pg2\"", StringComparison.Ordinal).Replace("pg-abcde", "pg2-abcde", StringComparison.Ordinal));
        records.SetService(null, other);
        records.SetSlice(null, otherSlice);

        Assert.Equal(["10.0.42.10.in-addr.arpa PTR pg-0.pg.db.svc.cluster.local", "10.0.42.10.in-addr.arpa PTR pg-0.pg2.db.svc.cluster.local"],
            records.Lookup("10.0.42.10.in-addr.arpa", RecordType.Ptr).Answers.Select(Describe));

        records.SetService(other, null);

        Assert.Equal(["10.0.42.10.in-addr.arpa PTR pg-0.pg.db.svc.cluster.local"], records.Lookup("10.0.42.10.in-addr.arpa", RecordType.Ptr).Answers.Select(Describe));
    }

    [Fact]
    public void Lookup_WhenTheDomainIsNotClusterLocal_ThenItAnswersForThatDomainOnly()
    {
        var records = new ClusterDnsRecords("Berth.Example.", 30, new FixedTime(Now));
        records.SetService(null, Service(Web));

        Assert.Equal(["web.default.svc.berth.example A 10.43.0.5"], records.Lookup("web.default.svc.berth.example", RecordType.A).Answers.Select(Describe));
        Assert.Equal(30, records.Lookup("web.default.svc.berth.example", RecordType.A).Answers.Single().TimeToLive);
        Assert.True(records.Lookup("web.default.svc.cluster.local", RecordType.A).IsOutside);
        Assert.Equal(["berth.example SOA ns.dns.berth.example hostmaster.berth.example " + Serial + " 7200 1800 86400 30"],
            records.Lookup("nope.berth.example", RecordType.A).Authority.Select(Describe));
    }

    [Fact]
    public void Lookup_WhenServicesAreDualStack_ThenAaaaAndIp6ArpaAnswerToo()
    {
        var records = new ClusterDnsRecords("cluster.local", 5, new FixedTime(Now));
        records.SetService(null, Service("""
            {"metadata": {"namespace": "default", "name": "dual"},
             "spec": {"clusterIP": "10.43.0.9", "clusterIPs": ["10.43.0.9", "fd00:43::9"], "ports": [{"port": 80}]}}
            """));

        Assert.Equal(["dual.default.svc.cluster.local AAAA fd00:43::9"], records.Lookup("dual.default.svc.cluster.local", RecordType.Aaaa).Answers.Select(Describe));
        Assert.Equal(["9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa PTR dual.default.svc.cluster.local"],
            records.Lookup("9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa", RecordType.Ptr).Answers.Select(Describe));
        Assert.Equal(["fd00--5.default.pod.cluster.local AAAA fd00::5"], records.Lookup("fd00--5.default.pod.cluster.local", RecordType.Aaaa).Answers.Select(Describe));
    }

    private static ClusterDnsRecords Cluster()
    {
        var records = new ClusterDnsRecords("cluster.local", 5, new FixedTime(Now));
        foreach (var service in new[] { Web, Pg, Empty, Ext, Alias })
            records.SetService(null, Service(service));
        records.SetSlice(null, Slice(PgSlice));
        return records;
    }

    private static DnsService Service(string json)
    {
        using var document = JsonDocument.Parse(json);
        return DnsService.Read(document.RootElement);
    }

    private static DnsEndpointSlice Slice(string json)
    {
        using var document = JsonDocument.Parse(json);
        return DnsEndpointSlice.Read(document.RootElement);
    }

    /// <summary>A record as "owner TYPE data", the owner without its trailing dot.</summary>
    internal static string Describe(DnsRecordBase record) => $"{record.Name.ToString(false)} " + record switch
    {
        ARecord a => $"A {a.Address}",
        AaaaRecord a => $"AAAA {a.Address}",
        SrvRecord s => $"SRV {s.Priority} {s.Weight} {s.Port} {s.Target.ToString(false)}",
        CNameRecord c => $"CNAME {c.CanonicalName.ToString(false)}",
        PtrRecord p => $"PTR {p.PointerDomainName.ToString(false)}",
        NsRecord n => $"NS {n.NameServer.ToString(false)}",
        TxtRecord t => $"TXT {t.TextData}",
        SoaRecord s => $"SOA {s.MasterName.ToString(false)} {s.ResponsibleName.ToString(false)} {s.SerialNumber} {s.RefreshInterval} {s.RetryInterval} {s.ExpireInterval} {s.NegativeCachingTTL}",
        _ => record.RecordType.ToString(),
    };

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
