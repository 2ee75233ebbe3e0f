namespace Berth.ApiServer.Services;

/// <summary>
/// What a write of a Service allocated and what it gives up, settled once the write's outcome is known: a stored
/// write commits (the given-up addresses and ports are released), a failed one reverts (the new ones are). A dry run
/// records nothing, having claimed nothing.
/// </summary>
internal sealed class AllocationChange
{
    private readonly ServiceIpAllocator? _ips;
    private readonly NodePortAllocator? _ports;
    private readonly string _uid;
    private readonly bool _dryRun;
    private readonly List<string> _newIps = [];
    private readonly List<long> _newPorts = [];
    private readonly List<string> _oldIps = [];
    private readonly List<long> _oldPorts = [];

    public AllocationChange(ServiceIpAllocator? ips, NodePortAllocator? ports, string uid, bool dryRun)
    {
        _ips = ips;
        _ports = ports;
        _uid = uid;
        _dryRun = dryRun;
    }

    /// <summary>No allocation at all (any other kind than Service); shared by every such write at once.</summary>
    public static AllocationChange None { get; } = new(null, null, "", dryRun: true);

    public void AllocatedIp(string ip) => Record(_newIps, ip);

    public void AllocatedPort(long port) => Record(_newPorts, port);

    public void ReleasesIp(string ip) => Record(_oldIps, ip);

    public void ReleasesPort(long port) => Record(_oldPorts, port);

    /// <summary>The write is stored: what it gave up goes back to the pools.</summary>
    public Task CommitAsync(CancellationToken cancellationToken) => ReleaseAsync(_oldIps, _oldPorts, cancellationToken);

    /// <summary>The write failed: what it claimed goes back to the pools.</summary>
    public Task RevertAsync(CancellationToken cancellationToken) => ReleaseAsync(_newIps, _newPorts, cancellationToken);

    private void Record<T>(List<T> list, T item)
    {
        if (!_dryRun)
            list.Add(item);
    }

    private async Task ReleaseAsync(List<string> ips, List<long> ports, CancellationToken cancellationToken)
    {
        // A dry run (and None, which concurrent writes share) holds nothing: its lists are never touched, not even cleared.
        if (_dryRun)
            return;
        foreach (var ip in ips)
            await _ips!.ReleaseAsync(ip, _uid, cancellationToken);
        foreach (var port in ports)
            await _ports!.ReleaseAsync(port, _uid, cancellationToken);
        ips.Clear();
        ports.Clear();
    }
}
