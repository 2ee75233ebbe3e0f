using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Berth.ApiServer.Observability;

/// <summary>
/// The process's own figures at <c>/metrics</c>, under the names Prometheus' .NET and process collectors use: CPU
/// time, resident memory, and the garbage collector's collections per generation, pause time and heap size. Upstream's
/// API server exports the Go runtime's equivalents (<c>go_gc_duration_seconds</c>, ...).
/// </summary>
internal static class RuntimeMetrics
{
    public static void Render(StringBuilder text)
    {
        using var process = Process.GetCurrentProcess();
        Metric(text, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", process.TotalProcessorTime.TotalSeconds);
        Metric(text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.WorkingSet64);
        Metric(text, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
            new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1e3);

        text.Append("# HELP dotnet_collection_count_total GC collection count.\n# TYPE dotnet_collection_count_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            text.Append(CultureInfo.InvariantCulture, $"dotnet_collection_count_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        Metric(text, "dotnet_gc_pause_seconds_total", "counter", "Total time the garbage collector has paused the process.", GC.GetTotalPauseDuration().TotalSeconds);
        Metric(text, "dotnet_total_memory_bytes", "gauge", "Total known allocated memory in bytes.", GC.GetTotalMemory(forceFullCollection: false));
        Metric(text, "dotnet_gc_allocated_bytes_total", "counter", "Total bytes allocated over the life of the process.", GC.GetTotalAllocatedBytes());
    }

    private static void Metric(StringBuilder text, string name, string type, string help, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
