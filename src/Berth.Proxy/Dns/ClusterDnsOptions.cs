using System.Globalization;
using System.Net;

namespace Berth.Proxy.Dns;

/// <summary>
/// How a node's cluster DNS server runs: the domain it answers for (<c>cluster.local</c>), the address and port it
/// listens on with both UDP and TCP (127.0.0.1:53 unless told; agents give their bridge address), the TTL of its
/// answers (5 s, CoreDNS's default), and the servers names outside the cluster's zones are forwarded to — none by
/// default, so that such queries are refused and nothing ever leaves the machine unless asked for.
/// </summary>
public sealed record ClusterDnsOptions
{
    public const string DefaultDomain = "cluster.local";

    public const int DefaultPort = 53;

    /// <summary>The longest TTL accepted, as CoreDNS caps its kubernetes plugin's.</summary>
    public static TimeSpan MaxTtl { get; } = TimeSpan.FromHours(1);

    public string Domain { get; init; } = DefaultDomain;

    /// <summary>Where the server listens, UDP and TCP; the port must be given (not 0).</summary>
    public IPEndPoint Endpoint { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>The TTL of every record and of negative answers (the SOA's minimum), in whole seconds.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where queries for names outside the cluster's zones go, tried in order; empty (the default): refused.</summary>
    public IReadOnlyList<IPEndPoint> Upstreams { get; init; } = [];

    /// <summary>How long one upstream server has to answer before the next is tried.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(2);

    internal int TtlSeconds => (int)Ttl.TotalSeconds;

    /// <summary>What is wrong with these options (nothing: empty), each said so that the flag or setting can be fixed.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        if (!ValidDomain(Domain))
            errors.Add($"the cluster domain \"{Domain}\" is not a DNS name (lowercase labels of letters, digits and '-', at most 253 characters)");
        if (Endpoint.Port == 0)
            errors.Add("the cluster DNS port must be given: 0 would leave it unknown to the pods");
        if (Ttl < TimeSpan.Zero || Ttl > MaxTtl || Ttl.Ticks % TimeSpan.TicksPerSecond != 0)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"the cluster DNS TTL must be whole seconds from 0 to {MaxTtl.TotalSeconds}, not {Ttl}"));
        if (Upstreams.Any(u => u.Port == 0))
            errors.Add("an upstream DNS server needs a port (53 as a rule)");
        if (UpstreamTimeout <= TimeSpan.Zero)
            errors.Add("the upstream DNS timeout must be positive");
        return errors;
    }

    private static bool ValidDomain(string domain)
    {
        var name = domain.TrimEnd('.');
        return name.Length is > 0 and <= 253 && name.Split('.').All(label =>
            label.Length is > 0 and <= 63 && label[0] != '-' && label[^1] != '-' && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'));
    }
}
