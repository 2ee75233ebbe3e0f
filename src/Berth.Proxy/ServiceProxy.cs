using System.Diagnostics;
using System.Threading.Channels;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Proxy.Model;
using Berth.Proxy.Rules;
using Microsoft.Extensions.Logging;

namespace Berth.Proxy;

/// <summary>
/// The node's service proxy (kube-proxy's role, nftables mode): follows Services and EndpointSlices and keeps its own
/// nftables table in step with them. The first sync writes the whole table; later ones write only what changed, in one
/// transaction each, as soon as a change arrives (changes that arrive during a sync are taken together by the next);
/// the rules are kept per Service, so a change costs what that Service's rules cost.
/// UDP flows to endpoints that went away are forgotten from conntrack, so a client's next datagram finds a live
/// endpoint. On shutdown the table goes, and with it every rule the proxy made; it never touches anything else.
/// </summary>
public sealed partial class ServiceProxy(ApiClient client, ServiceProxyOptions options, ILoggerFactory loggers)
{
    private static readonly ApiResource Services = new("", "v1", "Service", "services", true, ["list", "watch"]);
    private static readonly ApiResource Slices = new("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, ["list", "watch"]);

    private const string ByService = "service";

    private readonly ILogger _logger = loggers.CreateLogger<ServiceProxy>();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly ProxyTable _table = new(options.TableName, options.ServiceCidr, options.NodePortAddresses);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private long _syncs;

    /// <summary>Syncs done so far.</summary>
    public long SyncCount => Interlocked.Read(ref _syncs);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var services = new Informer<ProxyService>(client, Services, ProxyService.Read, loggers.CreateLogger<Informer<ProxyService>>());
        var slices = new Informer<ProxySlice>(client, Slices, ProxySlice.Read, loggers.CreateLogger<Informer<ProxySlice>>());
        slices.AddIndex(ByService, s => s.ServiceKey is { } key ? [key] : []);
        services.OnChange((old, now) => Changed((now ?? old)!.Key));
        slices.OnChange((old, now) =>
        {
            if (old?.ServiceKey is { } was)
                Changed(was);
            if (now?.ServiceKey is { } key)
                Changed(key);
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.WhenAll(services.RunAsync(stop.Token), slices.RunAsync(stop.Token));
        var syncing = SyncWhenListedAsync(services, slices, stop.Token);
        try
        {
            // Neither ends before cancellation; should one fail, its exception comes out here, not later or never.
            await await Task.WhenAny(watching, syncing);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(watching, syncing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // Only a proxy told to stop takes its rules away; one that failed leaves them serving until it is back.
            if (cancellationToken.IsCancellationRequested)
                await RemoveAsync();
        }
    }

    private async Task SyncWhenListedAsync(Informer<ProxyService> services, Informer<ProxySlice> slices, CancellationToken cancellationToken)
    {
        await Task.WhenAll(services.Synced, slices.Synced).WaitAsync(cancellationToken);
        await SyncLoopAsync(services, slices, cancellationToken);
    }

    /// <summary>Notes that the rules of the Service <paramref name="key"/> may have changed, and wakes the sync loop.</summary>
    private void Changed(string key)
    {
        lock (_dirty)
            _dirty.Add(key);
        _changed.Writer.TryWrite(true);
    }

    /// <summary>
    /// Writes the rules of the Services that changed since the last sync. The rules are kept per Service, so a change
    /// costs what that Service's rules cost, however many others there are.
    /// </summary>
    private async Task SyncLoopAsync(Informer<ProxyService> services, Informer<ProxySlice> slices, CancellationToken cancellationToken)
    {
        Dictionary<string, RuleSet>? applied = null;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            List<string> dirty;
            lock (_dirty)
            {
                dirty = [.. _dirty];
                _dirty.Clear();
            }
            RuleSet RulesOf(string key) => services.Get(key[..key.IndexOf('/', StringComparison.Ordinal)], key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..]) is { } service
                ? RuleSetBuilder.Build([service], slices.ByIndex(ByService, key).ToLookup(_ => key, StringComparer.Ordinal), options.NodeName, options.ClusterCidr)
                : new RuleSet();
            try
            {
                if (applied is null)
                {
                    var all = services.Items().ToDictionary(s => s.Key, s => RulesOf(s.Key), StringComparer.Ordinal);
                    var rules = RuleSet.Merge(all.Values);
                    await Nft.ApplyAsync(_table.Full(rules), cancellationToken);
                    applied = all;
                    Log.FullSync(_logger, options.TableName, rules.ServedPorts, rules.Chains.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else if (dirty.Count > 0)
                {
                    var before = RuleSet.Merge(dirty.Select(k => applied.GetValueOrDefault(k)).OfType<RuleSet>());
                    var now = dirty.ToDictionary(k => k, RulesOf, StringComparer.Ordinal);
                    var after = RuleSet.Merge(now.Values);
                    if (_table.Changes(before, after) is { Length: > 0 } changes)
                    {
                        await Nft.ApplyAsync(changes, cancellationToken);
                        await Conntrack.ForgetAsync(before.UdpFlows.Where(f => !after.UdpFlows.Contains(f)), _logger, cancellationToken);
                    }
                    foreach (var (key, rules) in now)
                    {
                        if (rules.Chains.Count == 0 && rules.UnservedNodePorts.Count == 0)
                            applied.Remove(key);
                        else
                            applied[key] = rules;
                    }
                }
                Interlocked.Increment(ref _syncs);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Write the whole table next time: whatever failed, a full write starts from a known state.
                Log.SyncFailed(_logger, options.TableName, e.Message);
                applied = null;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                _changed.Writer.TryWrite(true);
            }
            await _changed.Reader.ReadAsync(cancellationToken);
        }
    }

    private async Task RemoveAsync()
    {
        try
        {
            await Nft.ApplyAsync(_table.Delete(), CancellationToken.None);
        }
        catch (Exception e) when (e is NftException or System.ComponentModel.Win32Exception)
        {
            Log.RemoveFailed(_logger, options.TableName, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "Service proxy wrote table ip {Table}: {Ports} service ports with endpoints, {Chains} chains, in {Milliseconds:F0} ms")]
        public static partial void FullSync(ILogger logger, string table, int ports, int chains, double milliseconds);

        [LoggerMessage(6002, LogLevel.Warning, "Service proxy could not update table ip {Table}; writing it whole again: {Error}")]
        public static partial void SyncFailed(ILogger logger, string table, string error);

        [LoggerMessage(6003, LogLevel.Warning, "Service proxy could not remove table ip {Table}; remove it with `nft delete table ip {Table}`: {Error}")]
        public static partial void RemoveFailed(ILogger logger, string table, string error);
    }
}
