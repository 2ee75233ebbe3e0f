using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Berth.Proxy.Dns;

/// <summary>
/// The cluster's DNS records as CoreDNS's kubernetes plugin serves them (with <c>pods insecure</c>), kept by name in
/// one dictionary so that answering a query is a dictionary lookup:
/// <list type="bullet">
/// <item><c>&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>: A/AAAA of the cluster IPs; of every ready endpoint for a headless
/// Service (none: NODATA); a CNAME to <c>spec.externalName</c> for an ExternalName Service.</item>
/// <item><c>&lt;hostname-or-dashed-ip&gt;.&lt;svc&gt;.&lt;ns&gt;.svc.&lt;domain&gt;</c>: each ready endpoint of a headless
/// Service (a StatefulSet pod's hostname when it has one).</item>
/// <item>SRV at <c>_&lt;port&gt;._&lt;proto&gt;.&lt;svc&gt;...</c> for named ports and at the Service's own name for all its
/// ports: priority 0, weight 100 shared among the records, the Service's name (or each endpoint's, headless) as target
/// with its addresses in the additional section.</item>
/// <item><c>&lt;a-b-c-d&gt;.&lt;ns&gt;.pod.&lt;domain&gt;</c>: the address the name spells, unchecked.</item>
/// <item>PTR for cluster IPs and headless endpoints, in in-addr.arpa and ip6.arpa.</item>
/// <item><c>dns-version.&lt;domain&gt;</c> TXT: the version of the DNS schema served; SOA and NS at the apex.</item>
/// </list>
/// Every other name under the domain is NXDOMAIN, and a name that exists without records of the asked type is NODATA;
/// both carry the zone's SOA in the authority section. A change of a Service or one of its EndpointSlices rebuilds the
/// records of that Service only.
/// </summary>
internal sealed class ClusterDnsRecords
{
    /// <summary>The version of the Kubernetes DNS schema served (answered at <c>dns-version.&lt;domain&gt;</c>).</summary>
    public const string SchemaVersion = "1.1.0";

    // The SOA timers CoreDNS gives the cluster zone; its minimum (negative-caching) TTL is the records' TTL.
    private const int SoaRefresh = 7200;
    private const int SoaRetry = 1800;
    private const int SoaExpire = 86400;

    /// <summary>How many aliases in a row are followed inside the zone (ExternalName Services naming each other).</summary>
    private const int MaxAliases = 8;

    private const string ReverseV4 = "in-addr.arpa";
    private const string ReverseV6 = "ip6.arpa";

    private readonly string _domain;
    private readonly string _domainSuffix;
    private readonly int _ttl;
    private readonly TimeProvider _time;
    private readonly DnsEntry _apex;
    private readonly NsRecord _ns;
    private readonly ConcurrentDictionary<string, DnsEntry> _names = new(StringComparer.OrdinalIgnoreCase);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DnsService> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, DnsEndpointSlice>> _slices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Published> _published = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _namespaces = new(StringComparer.Ordinal);

    /// <summary>Reverse names, with the names each Service points them at (an address may stand behind several Services).</summary>
    private readonly Dictionary<string, Dictionary<string, List<DomainName>>> _pointers = new(StringComparer.OrdinalIgnoreCase);

    private volatile SoaRecord _soa;
    private volatile bool _synced;

    public ClusterDnsRecords(string domain, int ttl, TimeProvider time)
    {
        _domain = domain.TrimEnd('.').ToLowerInvariant();
        _domainSuffix = "." + _domain;
        _ttl = ttl;
        _time = time;
        _apex = new DnsEntry(Name(_domain));
        _names[_domain] = _apex;
        // The names between the apex and the records: they exist (NODATA), as do the nameserver's.
        foreach (var name in new[] { "svc", "pod", "dns", "ns.dns" })
            _names[$"{name}.{_domain}"] = new DnsEntry(Name($"{name}.{_domain}"));
        var version = Name($"dns-version.{_domain}");
        _names[$"dns-version.{_domain}"] = new DnsEntry(version) { Txt = [new TxtRecord(version, ttl, SchemaVersion)] };
        _ns = new NsRecord(_apex.Name, ttl, Name($"ns.dns.{_domain}"));
        _soa = Soa(_apex.Name, Serial());
    }

    public string Domain => _domain;

    /// <summary>Whether the first lists of Services and EndpointSlices have come in (until then the records are not the cluster's).</summary>
    public bool Synced => _synced;

    public int ServiceCount
    {
        get
        {
            lock (_gate)
                return _services.Count;
        }
    }

    public void MarkSynced() => _synced = true;

    /// <summary>Takes a Service's addition (<paramref name="old"/> null), change or removal (<paramref name="now"/> null).</summary>
    public void SetService(DnsService? old, DnsService? now)
    {
        lock (_gate)
        {
            if (old is not null && (now is null || now.Key != old.Key) && _services.Remove(old.Key))
            {
                CountNamespace(old.Namespace, -1);
                Publish(old.Key);
            }
            if (now is not null)
            {
                if (!_services.ContainsKey(now.Key))
                    CountNamespace(now.Namespace, +1);
                _services[now.Key] = now;
                Publish(now.Key);
            }
            Changed();
        }
    }

    /// <summary>Takes an EndpointSlice's addition (<paramref name="old"/> null), change or removal (<paramref name="now"/> null).</summary>
    public void SetSlice(DnsEndpointSlice? old, DnsEndpointSlice? now)
    {
        lock (_gate)
        {
            if (old?.ServiceKey is { } oldKey && _slices.TryGetValue(oldKey, out var oldSlices))
            {
                oldSlices.Remove(old.Name);
                if (oldSlices.Count == 0)
                    _slices.Remove(oldKey);
            }
            if (now?.ServiceKey is { } newKey)
            {
                if (!_slices.TryGetValue(newKey, out var slices))
                    _slices[newKey] = slices = new Dictionary<string, DnsEndpointSlice>(StringComparer.Ordinal);
                slices[now.Name] = now;
                Publish(newKey);
            }
            if (old?.ServiceKey is { } key && key != now?.ServiceKey)
                Publish(key);
            Changed();
        }
    }

    /// <summary>
    /// The answer to a question for <paramref name="name"/> (with or without the trailing dot, any case) and
    /// <paramref name="type"/>; <see cref="DnsAnswer.Outside"/> when the name is none of the cluster's.
    /// </summary>
    public DnsAnswer Lookup(string name, RecordType type)
    {
        if (name.EndsWith('.'))
            name = name[..^1];
        if (_names.TryGetValue(name, out var entry))
            return Answer(entry, type);
        if (!name.EndsWith(_domainSuffix, StringComparison.OrdinalIgnoreCase))
            return DnsAnswer.Outside;
        if (PodAddress(name.AsSpan(0, name.Length - _domainSuffix.Length)) is { } pod)
        {
            var owner = Name(name);
            IReadOnlyList<DnsRecordBase> records = (pod.AddressFamily, type) switch
            {
                (AddressFamily.InterNetwork, RecordType.A or RecordType.Any) => [new ARecord(owner, _ttl, pod)],
                (AddressFamily.InterNetworkV6, RecordType.Aaaa or RecordType.Any) => [new AaaaRecord(owner, _ttl, pod)],
                _ => [],
            };
            return records.Count > 0 ? Found(records, []) : NoData(name);
        }
        return new DnsAnswer(ReturnCode.NxDomain, [], [ZoneSoa(name)], []);
    }

    private DnsAnswer Answer(DnsEntry entry, RecordType type)
    {
        if (entry.CName is { } alias)
        {
            if (type == RecordType.CName)
                return Found([alias], []);
            // The alias answers every type; its target's records come along when the target is one of the cluster's names.
            List<DnsRecordBase> chain = [alias];
            var target = alias.CanonicalName;
            for (var i = 0; i < MaxAliases && _names.TryGetValue(target.ToString(false), out var next); i++)
            {
                if (next.CName is { } nextAlias)
                {
                    chain.Add(nextAlias);
                    target = nextAlias.CanonicalName;
                    continue;
                }
                chain.AddRange(next.For(type));
                break;
            }
            return Found(chain, []);
        }
        if (ReferenceEquals(entry, _apex))
        {
            if (type == RecordType.Soa)
                return Found([_soa], []);
            if (type == RecordType.Ns)
                return Found([_ns], []);
        }
        var records = entry.For(type);
        return records.Count > 0 ? Found(records, type == RecordType.Srv ? entry.SrvTargets : []) : NoData(entry.Name.ToString(false));
    }

    private static DnsAnswer Found(IReadOnlyList<DnsRecordBase> answers, IReadOnlyList<DnsRecordBase> additional) =>
        new(ReturnCode.NoError, answers, [], additional);

    private DnsAnswer NoData(string name) => new(ReturnCode.NoError, [], [ZoneSoa(name)], []);

    /// <summary>The SOA of the zone <paramref name="name"/> is in: the cluster's, or the reverse zone of its addresses.</summary>
    private SoaRecord ZoneSoa(string name)
    {
        if (name.EndsWith(ReverseV4, StringComparison.OrdinalIgnoreCase))
            return Soa(Name(ReverseV4), _soa.SerialNumber);
        if (name.EndsWith(ReverseV6, StringComparison.OrdinalIgnoreCase))
            return Soa(Name(ReverseV6), _soa.SerialNumber);
        return _soa;
    }

    private SoaRecord Soa(DomainName zone, uint serial) =>
        new(zone, _ttl, Name($"ns.dns.{zone.ToString(false)}"), Name($"hostmaster.{zone.ToString(false)}"), serial, SoaRefresh, SoaRetry, SoaExpire, _ttl);

    /// <summary>The zone's serial: the time of the last change, in seconds since 1970 (as CoreDNS numbers it).</summary>
    private uint Serial() => (uint)_time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>After a change (under the lock): a new serial for the SOA when a second has passed.</summary>
    private void Changed()
    {
        var serial = Serial();
        if (serial != _soa.SerialNumber)
            _soa = Soa(_apex.Name, serial);
    }

    /// <summary>Counts a Service in or out of its namespace; <c>&lt;ns&gt;.svc.&lt;domain&gt;</c> exists while it has any.</summary>
    private void CountNamespace(string ns, int delta)
    {
        var count = _namespaces.GetValueOrDefault(ns) + delta;
        var name = $"{ns}.svc.{_domain}";
        if (count > 0)
        {
            _namespaces[ns] = count;
            _names.TryAdd(name, new DnsEntry(Name(name)));
        }
        else
        {
            _namespaces.Remove(ns);
            _names.TryRemove(name, out _);
        }
    }

    /// <summary>Rebuilds the records of the Service <paramref name="key"/> (none when it is gone) and replaces what it published before.</summary>
    private void Publish(string key)
    {
        var names = new Dictionary<string, EntryBuilder>(StringComparer.OrdinalIgnoreCase);
        var pointers = new Dictionary<string, List<DomainName>>(StringComparer.OrdinalIgnoreCase);
        if (_services.TryGetValue(key, out var service))
            Build(service, _slices.GetValueOrDefault(key)?.Values.OrderBy(s => s.Name, StringComparer.Ordinal) ?? Enumerable.Empty<DnsEndpointSlice>(), names, pointers);

        var previous = _published.GetValueOrDefault(key);
        foreach (var (name, builder) in names)
            _names[name] = builder.Build();
        foreach (var name in previous?.Names ?? [])
        {
            if (!names.ContainsKey(name))
                _names.TryRemove(name, out _);
        }
        foreach (var reverse in (previous?.Pointers ?? []).Union(pointers.Keys, StringComparer.OrdinalIgnoreCase))
            Point(reverse, key, pointers.GetValueOrDefault(reverse));

        if (names.Count == 0)
            _published.Remove(key);
        else
            _published[key] = new Published([.. names.Keys], [.. pointers.Keys]);
    }

    /// <summary>Sets what the Service <paramref name="key"/> points <paramref name="reverse"/> at (null: nothing) and republishes that name.</summary>
    private void Point(string reverse, string key, List<DomainName>? targets)
    {
        if (!_pointers.TryGetValue(reverse, out var byService))
            _pointers[reverse] = byService = new Dictionary<string, List<DomainName>>(StringComparer.Ordinal);
        if (targets is null)
            byService.Remove(key);
        else
            byService[key] = targets;
        if (byService.Count == 0)
        {
            _pointers.Remove(reverse);
            _names.TryRemove(reverse, out _);
            return;
        }
        var owner = Name(reverse);
        _names[reverse] = new DnsEntry(owner)
        {
            Ptr = [.. byService.OrderBy(s => s.Key, StringComparer.Ordinal).SelectMany(s => s.Value).Distinct().Select(t => new PtrRecord(owner, _ttl, t))],
        };
    }

    private void Build(DnsService service, IEnumerable<DnsEndpointSlice> slices, Dictionary<string, EntryBuilder> names, Dictionary<string, List<DomainName>> pointers)
    {
        var serviceName = $"{service.Name}.{service.Namespace}.svc.{_domain}";
        var self = Entry(names, serviceName);
        switch (service.Kind)
        {
            case DnsServiceKind.ExternalName:
                if (service.ExternalName is not null && DomainName.TryParse(service.ExternalName, out var target) && target is not null)
                    self.CName = new CNameRecord(self.Name, _ttl, target);
                return;

            case DnsServiceKind.ClusterIp:
                foreach (var address in service.ClusterIps)
                {
                    self.Add(Address(self.Name, address));
                    Pointers(pointers, address).Add(self.Name);
                }
                Services(names, serviceName, service.Ports.Select(p => (p, self)));
                return;

            case DnsServiceKind.Headless:
                var seen = new HashSet<IPAddress>();
                List<(DnsPort Port, EntryBuilder Target)> ports = [];
                foreach (var slice in slices)
                {
                    foreach (var endpoint in slice.Endpoints.Where(e => e.Ready))
                    {
                        // An address listed twice (in two slices, or by two endpoints) counts once.
                        var addresses = endpoint.Addresses.Where(seen.Add).ToList();
                        if (addresses.Count == 0)
                            continue;
                        var own = Entry(names, $"{endpoint.Hostname ?? Dashed(addresses[0])}.{serviceName}");
                        foreach (var address in addresses)
                        {
                            own.Add(Address(own.Name, address));
                            self.Add(Address(self.Name, address));
                            Pointers(pointers, address).Add(own.Name);
                        }
                        ports.AddRange(slice.Ports.Select(p => (p, own)));
                    }
                }
                Services(names, serviceName, ports);
                return;
        }
    }

    /// <summary>
    /// The SRV records of a Service: all its (port, target) pairs at its own name, and those of each named port at
    /// <c>_&lt;port&gt;._&lt;proto&gt;.&lt;svc&gt;...</c> (with <c>_&lt;proto&gt;.&lt;svc&gt;...</c> existing in between).
    /// </summary>
    private void Services(Dictionary<string, EntryBuilder> names, string serviceName, IEnumerable<(DnsPort Port, EntryBuilder Target)> ports)
    {
        var all = ports.ToList();
        Srv(names[serviceName], all);
        foreach (var group in all.Where(p => p.Port.Name.Length > 0).GroupBy(p => (Name: p.Port.Name.ToLowerInvariant(), Protocol: p.Port.Protocol.ToLowerInvariant())))
        {
            Entry(names, $"_{group.Key.Protocol}.{serviceName}");
            Srv(Entry(names, $"_{group.Key.Name}._{group.Key.Protocol}.{serviceName}"), [.. group]);
        }
    }

    /// <summary>SRV records at <paramref name="owner"/>, sharing a weight of 100 (at least 1 each), with their targets' addresses.</summary>
    private void Srv(EntryBuilder owner, List<(DnsPort Port, EntryBuilder Target)> ports)
    {
        if (ports.Count == 0)
            return;
        var weight = (ushort)Math.Max(1, 100 / ports.Count);
        foreach (var (port, target) in ports)
            owner.Srv.Add(new SrvRecord(owner.Name, _ttl, 0, weight, (ushort)port.Port, target.Name));
        foreach (var target in ports.Select(p => p.Target).Distinct())
            owner.SrvTargets.AddRange(target.Addresses);
    }

    private static EntryBuilder Entry(Dictionary<string, EntryBuilder> names, string name)
    {
        if (!names.TryGetValue(name, out var entry))
            names[name] = entry = new EntryBuilder(Name(name));
        return entry;
    }

    private DnsRecordBase Address(DomainName owner, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? new AaaaRecord(owner, _ttl, address) : new ARecord(owner, _ttl, address);

    private static List<DomainName> Pointers(Dictionary<string, List<DomainName>> pointers, IPAddress address)
    {
        var reverse = ReverseName(address);
        if (!pointers.TryGetValue(reverse, out var targets))
            pointers[reverse] = targets = [];
        return targets;
    }

    /// <summary>The name PTR records of <paramref name="address"/> live at: <c>d.c.b.a.in-addr.arpa</c>, or nibbles in ip6.arpa.</summary>
    public static string ReverseName(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return string.Join('.', bytes.Reverse().Select(b => b.ToString(CultureInfo.InvariantCulture))) + "." + ReverseV4;
        return string.Join('.', bytes.Reverse().SelectMany(b => new[] { b & 0xf, b >> 4 }).Select(n => n.ToString("x", CultureInfo.InvariantCulture))) + "." + ReverseV6;
    }

    /// <summary>An address as one label: <c>10-42-0-5</c>, or <c>fd00--5</c> for IPv6.</summary>
    public static string Dashed(IPAddress address) =>
        address.ToString().Replace(address.AddressFamily == AddressFamily.InterNetworkV6 ? ':' : '.', '-');

    /// <summary>The address a pod name <c>&lt;dashed-ip&gt;.&lt;ns&gt;.pod</c> (relative to the domain) spells, if it is one.</summary>
    private static IPAddress? PodAddress(ReadOnlySpan<char> relative)
    {
        Span<Range> labels = stackalloc Range[4];
        if (relative.Split(labels, '.') != 3 || !relative[labels[2]].Equals("pod", StringComparison.OrdinalIgnoreCase) || relative[labels[1]].IsEmpty)
            return null;
        var dashed = relative[labels[0]];
        Span<Range> parts = stackalloc Range[5];
        if (dashed.Split(parts, '-') == 4)
        {
            Span<byte> bytes = stackalloc byte[4];
            for (var i = 0; i < 4; i++)
            {
                var part = dashed[parts[i]];
                if (part.Length is 0 or > 3 || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
                    return null;
            }
            return new IPAddress(bytes);
        }
        return dashed.Contains('-') && IPAddress.TryParse(dashed.ToString().Replace('-', ':'), out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : null;
    }

    private static DomainName Name(string name) => new(name.Split('.'));

    /// <summary>What a Service published, to take back when it changes: its names and the reverse names it points.</summary>
    private sealed record Published(IReadOnlyList<string> Names, IReadOnlyList<string> Pointers);

    /// <summary>The records of one name while they are gathered.</summary>
    private sealed class EntryBuilder(DomainName name)
    {
        public DomainName Name { get; } = name;

        public List<DnsRecordBase> Addresses { get; } = [];

        public List<DnsRecordBase> Srv { get; } = [];

        public List<DnsRecordBase> SrvTargets { get; } = [];

        public CNameRecord? CName { get; set; }

        public void Add(DnsRecordBase address) => Addresses.Add(address);

        public DnsEntry Build() => new(Name)
        {
            A = [.. Addresses.Where(a => a.RecordType == RecordType.A)],
            Aaaa = [.. Addresses.Where(a => a.RecordType == RecordType.Aaaa)],
            Srv = [.. Srv],
            SrvTargets = [.. SrvTargets],
            CName = CName,
        };
    }
}
