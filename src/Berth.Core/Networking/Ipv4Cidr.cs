using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Berth.Core.Networking;

/// <summary>An IPv4 network in CIDR notation (10.42.0.0/16), its address having no host bits set.</summary>
public readonly record struct Ipv4Cidr(uint Network, int Prefix)
{
    /// <summary>How many addresses the network spans.</summary>
    public long Size => 1L << (32 - Prefix);

    public uint Mask => Prefix == 0 ? 0 : uint.MaxValue << (32 - Prefix);

    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>The address <paramref name="offset"/> places into the network, as text.</summary>
    public string Address(long offset) => Text(Network + (uint)offset);

    public override string ToString() => $"{Text(Network)}/{Prefix.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string? text, out Ipv4Cidr cidr)
    {
        cidr = default;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash < 0 || !IPAddress.TryParse(text![..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
            return false;
        var bytes = ip.GetAddressBytes();
        cidr = new Ipv4Cidr(((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3], prefix);
        return (cidr.Network & ~cidr.Mask) == 0;
    }

    private static string Text(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}");
}
