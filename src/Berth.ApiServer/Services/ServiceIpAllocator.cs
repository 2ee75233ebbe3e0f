using System.Net;
using System.Net.Sockets;
using Berth.Core.Networking;
using Berth.Storage;

namespace Berth.ApiServer.Services;

/// <summary>
/// Services' cluster IPs from the service CIDR, one store key per address under <see cref="Prefix"/>. Neither the
/// network nor the broadcast address is handed out; random allocation keeps to the addresses above a low band
/// (the first 256 of a /16, as upstream), which requests by address use.
/// </summary>
internal sealed class ServiceIpAllocator
{
    public const string Prefix = "/registry/berth/serviceips/";

    private readonly KeyedAllocator _keys;
    private readonly AllocationSpace _space;

    public ServiceIpAllocator(IStore store, Ipv4Cidr cidr)
    {
        Cidr = cidr;
        _keys = new KeyedAllocator(store, Prefix);
        var usable = cidr.Size - 2;
        _space = new AllocationSpace(1, usable, 1 + AllocationSpace.StaticBand(usable, 16, 256, 16), cidr.Address, Offset);
    }

    public Ipv4Cidr Cidr { get; }

    /// <summary>Claims <paramref name="ip"/>: null when it is the owner's now, otherwise why not, in upstream's words.</summary>
    public async Task<string?> AllocateAsync(string ip, AllocationOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        if (Offset(ip) is null)
            return $"the provided IP ({Canonical(ip)}) is not in the valid range. The range of valid IPs is {Cidr}";
        return await _keys.ClaimAsync(Canonical(ip), owner, dryRun, cancellationToken) ? null : "provided IP is already allocated";
    }

    /// <summary>Claims a random free address; null when the range is full.</summary>
    public Task<string?> AllocateNextAsync(AllocationOwner owner, bool dryRun, CancellationToken cancellationToken) =>
        _keys.ClaimAnyAsync(_space, owner, dryRun, cancellationToken);

    /// <summary>Releases <paramref name="ip"/> if the Service of <paramref name="ownerUid"/> holds it.</summary>
    public Task ReleaseAsync(string ip, string ownerUid, CancellationToken cancellationToken) =>
        Parse(ip) is null ? Task.CompletedTask : _keys.ReleaseAsync(Canonical(ip), ownerUid, cancellationToken);

    /// <summary>Whether <paramref name="ip"/> may be allocated: an IPv4 address of the CIDR other than its network and broadcast addresses.</summary>
    public bool InRange(string ip) => Offset(ip) is not null;

    /// <summary>The address as its key names it (10.43.0.5), or the text as given when it is no IPv4 address.</summary>
    public static string Canonical(string ip) => Parse(ip) is { } address ? Text(address) : ip;

    private long? Offset(string ip) =>
        Parse(ip) is { } address && Cidr.Contains(address) && address - Cidr.Network is var offset && offset >= 1 && offset <= Cidr.Size - 2 ? offset : null;

    private static uint? Parse(string ip)
    {
        if (ip.Count(c => c == '.') != 3 || !IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            return null;
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static string Text(uint address) => new Ipv4Cidr(address, 32).Address(0);
}
