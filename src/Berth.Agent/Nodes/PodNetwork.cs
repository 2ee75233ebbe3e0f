using Berth.Core.Networking;

namespace Berth.Agent.Nodes;

/// <summary>
/// The node's share of the pod network: the CIDR node IPAM gave it in <c>spec.podCIDR</c>, which the agent learns
/// from its Node, and the addresses its pods get from it in turn (the first and the last are the network's and the
/// broadcast, the second is kept for the node's bridge). Until the node has one, no pod can start.
/// <paramref name="learned"/> hears of each new CIDR before it counts as known (the CRI runtime writes its CNI
/// configuration then).
/// </summary>
public sealed class PodNetwork(Action<Ipv4Cidr>? learned = null)
{
    private const int FirstPodOffset = 2;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<Ipv4Cidr> _known = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Ipv4Cidr? _cidr;
    private long _next = FirstPodOffset;

    public string? Cidr
    {
        get
        {
            lock (_gate)
                return _cidr?.ToString();
        }
    }

    /// <summary>Completes with the node's first pod CIDR, once it is known (what waits for the node's bridge address waits for this).</summary>
    public Task<Ipv4Cidr> Known => _known.Task;

    /// <summary>A network with its CIDR known from the start (tests; nodes given a pod CIDR by hand).</summary>
    public static PodNetwork Fixed(string cidr)
    {
        var network = new PodNetwork();
        if (!network.Learn(cidr))
            throw new FormatException($"\"{cidr}\" is not an IPv4 network with room for pods");
        return network;
    }

    /// <summary>Takes the node's pod CIDR as its Node says; false (and nothing changes) if it is not a usable IPv4 network.</summary>
    public bool Learn(string? cidr)
    {
        if (!Ipv4Cidr.TryParse(cidr, out var parsed) || parsed.Size < 4)
            return false;
        lock (_gate)
        {
            if (_cidr != parsed)
            {
                learned?.Invoke(parsed);
                (_cidr, _next) = (parsed, FirstPodOffset);
            }
        }
        _known.TrySetResult(parsed);
        return true;
    }

    /// <summary>The next pod address, going round the network.</summary>
    public string NextAddress()
    {
        lock (_gate)
        {
            if (_cidr is not { } cidr)
                throw new InvalidOperationException("network is not ready: the node has no pod CIDR yet");
            var address = cidr.Address(_next);
            _next = _next + 1 >= cidr.Size - 1 ? FirstPodOffset : _next + 1;
            return address;
        }
    }
}
