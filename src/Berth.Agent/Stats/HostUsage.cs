using System.Globalization;
using Berth.Agent.Nodes;

namespace Berth.Agent.Stats;

/// <summary>
/// The machine's own usage, from the kernel's counters: CPU time spent not idle (<c>/proc/stat</c>, in clock ticks
/// of 10 ms) and memory in use, total less available (<c>/proc/meminfo</c>).
/// </summary>
public static class HostUsage
{
    private const ulong NanoSecondsPerTick = 10_000_000;

    public static Usage Read(DateTimeOffset now)
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice
        var cpu = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => ulong.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var busy = cpu.Aggregate(0UL, (sum, v) => sum + v) - cpu[3] - cpu[4];
        var inUse = LocalMachine.MemoryBytes - LocalMachine.MemoryKibibytes("MemAvailable:") * 1024;
        return new Usage(now, busy * NanoSecondsPerTick, (ulong)Math.Max(0, inUse));
    }
}
