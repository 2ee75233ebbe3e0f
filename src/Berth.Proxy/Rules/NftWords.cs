using System.Net;
using System.Net.Sockets;

namespace Berth.Proxy.Rules;

/// <summary>
/// What may go into the proxy's nft script from the cluster's objects. Names and addresses are written into chain
/// names and rules as they are, so only values that cannot be read as anything but themselves pass: an IPv4 address
/// in its plain dotted form, and a name of lower-case letters, digits, '-' and '.' (namespaces and Service names are
/// DNS names, port names IANA service names). The API server checks most of this; the proxy does not rely on it, since
/// a value that slipped through would otherwise be nft syntax run as root.
/// </summary>
internal static class NftWords
{
    /// <summary>An IPv4 address written exactly as it parses back (no leading zeros, spaces or anything after it).</summary>
    public static bool IsAddress(string? text) =>
        text is { Length: > 0 and <= 15 } && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork && address.ToString() == text;

    /// <summary>A non-empty name of lower-case ASCII letters, digits, '-' and '.', at most 253 characters.</summary>
    public static bool IsName(string? text) =>
        text is { Length: > 0 and <= 253 } && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.');
}
