using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Berth.Core.CustomResources;

/// <summary>
/// The <c>format</c>s a CRD schema may give a string. Upstream ignores any other format, so a schema may carry one
/// without effect. Checked here: date-time, date, byte, uuid (3/4/5), ipv4, ipv6, cidr, k8s-short-name and
/// k8s-long-name. Accepted unchecked: uri, email, hostname, mac, isbn (10/13), creditcard, ssn, hexcolor, rgbcolor,
/// duration, bsonobjectid and password (any string).
/// </summary>
internal static partial class StringFormats
{
    /// <summary>The formats by their normalized name: go-openapi drops the dashes (<c>date-time</c> is <c>datetime</c>).</summary>
    private static readonly FrozenSet<string> Supported = new[]
    {
        "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
        "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
        "datetime", "k8sshortname", "k8slongname",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsSupported(string format) => Supported.Contains(Normalize(format));

    public static bool IsValid(string format, string value) => Normalize(format) switch
    {
        "datetime" => IsDateTime(value),
        "date" => IsDate(value),
        "byte" => Base64().IsMatch(value),
        "uuid" => Uuid().IsMatch(value),
        "uuid3" => Uuid3().IsMatch(value),
        "uuid4" => Uuid4().IsMatch(value),
        "uuid5" => Uuid5().IsMatch(value),
        "ipv4" => IsIPv4(value),
        "ipv6" => value.Contains(':', StringComparison.Ordinal) && IsIP(value),
        "cidr" => IsCidr(value),
        "k8sshortname" => value.Length <= 63 && ShortName().IsMatch(value),
        "k8slongname" => value.Length <= 253 && LongName().IsMatch(value),
        _ => true,
    };

    private static string Normalize(string format) => format.Replace("-", "", StringComparison.Ordinal);

    /// <summary>RFC 3339 as go-openapi reads it: a full date, "T", and a time with seconds and a zone.</summary>
    private static bool IsDateTime(string value)
    {
        var parts = value.ToLowerInvariant().Split('t');
        if (value.Length < 4 || parts.Length < 2 || !IsDate(parts[0]))
            return false;
        var time = Time().Match(parts[1]);
        return time.Success && string.CompareOrdinal(time.Groups[1].Value, "23") <= 0
            && string.CompareOrdinal(time.Groups[2].Value, "59") <= 0 && string.CompareOrdinal(time.Groups[3].Value, "59") <= 0;
    }

    private static bool IsDate(string value) =>
        DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    /// <summary>A dotted quad (leading zeros tolerated, as upstream's sloppy parser does) or an IPv6 address that holds one.</summary>
    private static bool IsIPv4(string value) =>
        value.Contains(':', StringComparison.Ordinal) ? value.Contains('.', StringComparison.Ordinal) && IsIP(value) : DottedQuad().IsMatch(value);

    private static bool IsIP(string value) =>
        value.Contains(':', StringComparison.Ordinal)
            ? !value.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(value, out _)
            : DottedQuad().IsMatch(value);

    private static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IsIP(value[..slash]) || !PrefixLength().IsMatch(value[(slash + 1)..]))
            return false;
        var bits = int.Parse(value[(slash + 1)..], CultureInfo.InvariantCulture);
        return bits <= (value[..slash].Contains(':', StringComparison.Ordinal) ? 128 : 32);
    }

    [GeneratedRegex(@"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))\z")]
    private static partial Regex Time();

    [GeneratedRegex(@"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})\z")]
    private static partial Regex Base64();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid3();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid4();

    [GeneratedRegex(@"^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Uuid5();

    [GeneratedRegex(@"^(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\z")]
    private static partial Regex DottedQuad();

    [GeneratedRegex(@"^[0-9]{1,3}\z")]
    private static partial Regex PrefixLength();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex ShortName();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex LongName();
}
