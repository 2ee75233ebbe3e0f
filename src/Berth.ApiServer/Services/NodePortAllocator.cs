using System.Globalization;
using Berth.Storage;

namespace Berth.ApiServer.Services;

/// <summary>
/// Services' node ports from the node port range, one store key per port under <see cref="Prefix"/>. Random
/// allocation keeps to the ports above a low band (the first 86 of the default range, as upstream), which requests
/// by number use.
/// </summary>
internal sealed class NodePortAllocator
{
    public const string Prefix = "/registry/berth/servicenodeports/";

    private readonly KeyedAllocator _keys;
    private readonly AllocationSpace _space;

    public NodePortAllocator(IStore store, NodePortRange range)
    {
        Range = range;
        _keys = new KeyedAllocator(store, Prefix);
        _space = new AllocationSpace(range.Base, range.Last, range.Base + AllocationSpace.StaticBand(range.Size, 16, 128, 32),
            port => port.ToString(CultureInfo.InvariantCulture), Number);
    }

    public NodePortRange Range { get; }

    /// <summary>Claims <paramref name="port"/>: null when it is the owner's now, otherwise why not, in upstream's words.</summary>
    public async Task<string?> AllocateAsync(long port, AllocationOwner owner, bool dryRun, CancellationToken cancellationToken)
    {
        if (!Range.Contains(port))
            return $"provided port is not in the valid range. The range of valid ports is {Range}";
        return await _keys.ClaimAsync(port.ToString(CultureInfo.InvariantCulture), owner, dryRun, cancellationToken) ? null : "provided port is already allocated";
    }

    /// <summary>Claims a random free port; null when the range is full.</summary>
    public async Task<long?> AllocateNextAsync(AllocationOwner owner, bool dryRun, CancellationToken cancellationToken) =>
        await _keys.ClaimAnyAsync(_space, owner, dryRun, cancellationToken) is { } port ? long.Parse(port, CultureInfo.InvariantCulture) : null;

    /// <summary>Releases <paramref name="port"/> if the Service of <paramref name="ownerUid"/> holds it.</summary>
    public Task ReleaseAsync(long port, string ownerUid, CancellationToken cancellationToken) =>
        _keys.ReleaseAsync(port.ToString(CultureInfo.InvariantCulture), ownerUid, cancellationToken);

    private static long? Number(string item) => long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
}
