using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Berth.Proxy.Dns;

/// <summary>
/// Every record one name of the cluster's zones answers with, built when the objects behind the name change and never
/// changed once published, so that a query reads it without a lock. A name with no records at all still exists:
/// queries for it answer NODATA, not NXDOMAIN.
/// </summary>
internal sealed class DnsEntry(DomainName name)
{
    public DomainName Name { get; } = name;

    public IReadOnlyList<DnsRecordBase> A { get; init; } = [];

    public IReadOnlyList<DnsRecordBase> Aaaa { get; init; } = [];

    public IReadOnlyList<DnsRecordBase> Srv { get; init; } = [];

    /// <summary>The addresses of the SRV records' targets, for the additional section.</summary>
    public IReadOnlyList<DnsRecordBase> SrvTargets { get; init; } = [];

    /// <summary>An alias (an ExternalName Service): answers every type of query.</summary>
    public CNameRecord? CName { get; init; }

    public IReadOnlyList<DnsRecordBase> Ptr { get; init; } = [];

    public IReadOnlyList<DnsRecordBase> Txt { get; init; } = [];

    /// <summary>The records answering <paramref name="type"/> (the CNAME aside).</summary>
    public IReadOnlyList<DnsRecordBase> For(RecordType type) => type switch
    {
        RecordType.A => A,
        RecordType.Aaaa => Aaaa,
        RecordType.Srv => Srv,
        RecordType.Ptr => Ptr,
        RecordType.Txt => Txt,
        RecordType.Any => [.. A, .. Aaaa, .. Srv, .. Ptr, .. Txt],
        _ => [],
    };
}
