using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Berth.ApiServer.Observability;

/// <summary>
/// Request counts and latencies per verb and resource, and the watches open, exposed at <c>/metrics</c> in the
/// Prometheus text format under upstream's names (<c>apiserver_request_total</c>,
/// <c>apiserver_request_duration_seconds</c>, <c>apiserver_longrunning_requests</c>), followed by the process's own
/// figures (<see cref="RuntimeMetrics"/>).
/// </summary>
internal sealed class RequestMetrics
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<(RequestLabels Labels, int Code), long> _counts = new();
    private readonly ConcurrentDictionary<RequestLabels, Histogram> _durations = new();
    private readonly ConcurrentDictionary<RequestLabels, StrongBox<long>> _running = new();

    public void Record(RequestLabels labels, int code, TimeSpan duration)
    {
        _counts.AddOrUpdate((labels, code), 1, (_, n) => n + 1);
        // Watches last as long as their clients want: their duration says nothing about the server.
        if (labels.Verb != "WATCH")
            _durations.GetOrAdd(labels, _ => new Histogram()).Observe(duration.TotalSeconds);
    }

    /// <summary>Counts a long-running request (a watch) as open until the returned value is disposed of.</summary>
    public IDisposable LongRunning(RequestLabels labels)
    {
        var open = _running.GetOrAdd(labels, _ => new StrongBox<long>());
        Interlocked.Increment(ref open.Value);
        return new Closing(open);
    }

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, group, resource, subresource and HTTP response code.\n");
        text.Append("# TYPE apiserver_request_total counter\n");
        foreach (var ((labels, code), count) in _counts.OrderBy(c => c.Key.ToString(), StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"apiserver_request_total{{{Labels(labels)},code=\"{code}\"}} {count}\n");

        text.Append("# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, group, resource and subresource.\n");
        text.Append("# TYPE apiserver_request_duration_seconds histogram\n");
        foreach (var (labels, histogram) in _durations.OrderBy(d => d.Key.ToString(), StringComparer.Ordinal))
            histogram.Render(text, "apiserver_request_duration_seconds", Labels(labels));

        text.Append("# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests broken out by verb, group, resource and subresource.\n");
        text.Append("# TYPE apiserver_longrunning_requests gauge\n");
        foreach (var (labels, open) in _running.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"apiserver_longrunning_requests{{{Labels(labels)}}} {Interlocked.Read(ref open.Value)}\n");
        RuntimeMetrics.Render(text);
        return text.ToString();
    }

    private static string Labels(RequestLabels l) =>
        $"verb=\"{l.Verb}\",group=\"{l.Group}\",resource=\"{l.Resource}\",subresource=\"{l.Subresource}\"";

    private sealed class Closing(StrongBox<long> open) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
                Interlocked.Decrement(ref open.Value);
        }
    }

    /// <summary>Cumulative buckets, a sum and a count; updated with interlocked operations.</summary>
    private sealed class Histogram
    {
        private readonly long[] _buckets = new long[Buckets.Length];
        private long _count;
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            for (var i = 0; i < Buckets.Length; i++)
            {
                if (seconds <= Buckets[i])
                    Interlocked.Increment(ref _buckets[i]);
            }
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder text, string name, string labels)
        {
            for (var i = 0; i < Buckets.Length; i++)
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{Buckets[i]}\"}} {Volatile.Read(ref _buckets[i])}\n");
            var count = Volatile.Read(ref _count);
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {Volatile.Read(ref _sumMicroseconds) / 1e6}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {count}\n");
        }
    }
}
