using ARSoft.Tools.Net.Dns;

namespace Berth.Proxy.Dns;

/// <summary>What the cluster's records say to one question: a return code and the records of each section.</summary>
internal sealed record DnsAnswer(ReturnCode Code, IReadOnlyList<DnsRecordBase> Answers, IReadOnlyList<DnsRecordBase> Authority,
    IReadOnlyList<DnsRecordBase> Additional)
{
    /// <summary>The name is none of the cluster's: it is forwarded when upstream servers are configured, refused otherwise.</summary>
    public static DnsAnswer Outside { get; } = new(ReturnCode.Refused, [], [], []);

    public bool IsOutside => ReferenceEquals(this, Outside);
}
