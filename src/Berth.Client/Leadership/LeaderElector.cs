using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Leadership;

/// <summary>
/// Leader election on a coordination.k8s.io Lease, as client-go's: of the candidates sharing a lease, one holds it and
/// runs the work; it renews the lease every retry period and stops the work when it could not for the renew deadline.
/// The others try every retry period, and take the lease over once it has not been renewed for its duration, as
/// timed by their own clock from when they saw it change (so clocks need not agree). A leader that stops releases the
/// lease, so the next takes over within a retry period. A candidate that lost the lease campaigns again.
/// </summary>
public sealed partial class LeaderElector(ApiClient client, string ns, string name, string identity, LeaderElectionTiming timing, TimeProvider time, ILogger logger)
{
    private readonly string _path = $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}";

    /// <summary>The lease as last read or written, and when this candidate saw it change.</summary>
    private JsonObject? _observed;
    private DateTimeOffset _observedAt;

    public string Identity => identity;

    /// <summary>Runs <paramref name="lead"/> whenever this candidate holds the lease, until cancelled; its token is cancelled when leadership is lost.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await AcquireAsync(cancellationToken))
                return;
            Log.Leading(logger, identity, ns, name);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var work = lead(leading.Token);
            var kept = await RenewWhileLeadingAsync(work, cancellationToken);
            await leading.CancelAsync();
            await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!kept)
            {
                Log.Lost(logger, identity, ns, name);
                continue;
            }
            await ReleaseAsync();
            return;
        }
    }

    /// <summary>Tries every retry period until this candidate holds the lease; false when cancelled first.</summary>
    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(timing.RetryPeriod, time);
        try
        {
            do
            {
                if (await TryAcquireOrRenewAsync(cancellationToken))
                    return true;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return false;
    }

    /// <summary>Renews every retry period while the work runs; false when a renewal did not succeed within the renew deadline.</summary>
    private async Task<bool> RenewWhileLeadingAsync(Task work, CancellationToken cancellationToken)
    {
        var renewed = time.GetUtcNow();
        using var timer = new PeriodicTimer(timing.RetryPeriod, time);
        try
        {
            while (!work.IsCompleted && await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (await TryAcquireOrRenewAsync(cancellationToken))
                    renewed = time.GetUtcNow();
                else if (time.GetUtcNow() - renewed >= timing.RenewDeadline || HeldByOther())
                    return false;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return true;
    }

    /// <summary>One attempt: create the lease, renew it if held, or take it over if it lapsed; false if someone else holds it or the API failed.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = time.GetUtcNow();
            var found = await client.GetAsync(_path, cancellationToken);
            if (found.IsNotFound)
            {
                var created = await client.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", NewLease(now), cancellationToken);
                if (!created.Succeeded)
                    return false;
                Observe(created.Body!.AsObject(), now);
                return true;
            }
            if (!found.Succeeded)
                return false;
            var lease = found.Body!.AsObject();
            if (_observed is null || Spec(_observed)?.ToJsonString() != Spec(lease)?.ToJsonString())
                Observe(lease, now);
            var holder = Spec(lease)?["holderIdentity"]?.GetValue<string>() ?? "";
            var duration = TimeSpan.FromSeconds(Spec(lease)?["leaseDurationSeconds"]?.GetValue<int>() ?? (int)timing.LeaseDuration.TotalSeconds);
            if (holder.Length > 0 && holder != identity && now < _observedAt + duration)
                return false;

            var spec = Spec(lease) ?? (JsonObject)(lease["spec"] = new JsonObject());
            if (holder != identity)
            {
                spec["acquireTime"] = MicroTime(now);
                spec["leaseTransitions"] = (spec["leaseTransitions"]?.GetValue<int>() ?? 0) + 1;
            }
            spec["holderIdentity"] = identity;
            spec["leaseDurationSeconds"] = (int)timing.LeaseDuration.TotalSeconds;
            spec["renewTime"] = MicroTime(now);
            var written = await client.PutAsync(_path, lease, cancellationToken);
            if (!written.Succeeded)
                return false;
            Observe(written.Body!.AsObject(), now);
            return true;
        }
        catch (HttpRequestException e)
        {
            Log.Unreachable(logger, ns, name, e.Message);
            return false;
        }
    }

    /// <summary>Gives the lease up for the next candidate: no holder, a one-second duration.</summary>
    private async Task ReleaseAsync()
    {
        if (_observed is null || Spec(_observed)?["holderIdentity"]?.GetValue<string>() != identity)
            return;
        var lease = _observed.DeepClone().AsObject();
        var spec = Spec(lease)!;
        spec["holderIdentity"] = null;
        spec["leaseDurationSeconds"] = 1;
        spec["renewTime"] = MicroTime(time.GetUtcNow());
        try
        {
            using var timeout = new CancellationTokenSource(timing.RetryPeriod);
            await client.PutAsync(_path, lease, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // The lease lapses on its own.
        }
    }

    private bool HeldByOther() => Spec(_observed)?["holderIdentity"]?.GetValue<string>() is { Length: > 0 } holder && holder != identity;

    private void Observe(JsonObject lease, DateTimeOffset at) => (_observed, _observedAt) = (lease, at);

    private JsonObject NewLease(DateTimeOffset now) => new()
    {
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["kind"] = "Lease",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject
        {
            ["holderIdentity"] = identity,
            ["leaseDurationSeconds"] = (int)timing.LeaseDuration.TotalSeconds,
            ["acquireTime"] = MicroTime(now),
            ["renewTime"] = MicroTime(now),
            ["leaseTransitions"] = 0,
        },
    };

    private static JsonObject? Spec(JsonObject? lease) => lease?["spec"] as JsonObject;

    private static string MicroTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(2600, LogLevel.Information, "{Identity} became leader on lease {Namespace}/{Name}")]
        public static partial void Leading(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(2601, LogLevel.Warning, "{Identity} lost lease {Namespace}/{Name}: stopping its work and campaigning again")]
        public static partial void Lost(ILogger logger, string identity, string @namespace, string name);

        [LoggerMessage(2602, LogLevel.Warning, "Lease {Namespace}/{Name} could not be read or written: {Reason}")]
        public static partial void Unreachable(ILogger logger, string @namespace, string name, string reason);
    }
}
