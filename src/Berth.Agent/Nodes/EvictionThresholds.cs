using System.Globalization;
using Berth.Core.Quantities;

namespace Berth.Agent.Nodes;

/// <summary>
/// The node's hard eviction thresholds (upstream's <c>--eviction-hard</c>): below them, the node reports pressure and
/// evicts pods. Berth watches <c>memory.available</c>, <c>nodefs.available</c> (the disk of the node's data folder,
/// which holds its images too) and <c>pid.available</c> (process IDs), each as a quantity (<c>100Mi</c>, <c>1000</c>)
/// or a share of the capacity (<c>10%</c>).
/// </summary>
public sealed class EvictionThresholds
{
    public const string MemoryAvailable = "memory.available";
    public const string NodeFsAvailable = "nodefs.available";
    public const string PidAvailable = "pid.available";

    private EvictionThresholds(IReadOnlyDictionary<string, EvictionThreshold> bySignal) => BySignal = bySignal;

    /// <summary>Upstream's defaults: 100Mi of memory, 10% of the disk.</summary>
    public static EvictionThresholds Default { get; } = Parse("memory.available<100Mi,nodefs.available<10%", out _)!;

    public IReadOnlyDictionary<string, EvictionThreshold> BySignal { get; }

    public EvictionThreshold? Memory => BySignal.GetValueOrDefault(MemoryAvailable);

    public EvictionThreshold? NodeFs => BySignal.GetValueOrDefault(NodeFsAvailable);

    public EvictionThreshold? Pids => BySignal.GetValueOrDefault(PidAvailable);

    /// <summary>Thresholds from <c>signal&lt;amount</c> pairs separated by commas, or null with the reason.</summary>
    public static EvictionThresholds? Parse(string text, out string? error)
    {
        var thresholds = new Dictionary<string, EvictionThreshold>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Split('<') is not [var signal, var amount])
            {
                error = $"\"{part}\" is not signal<amount (memory.available<100Mi)";
                return null;
            }
            if (signal is not (MemoryAvailable or NodeFsAvailable or PidAvailable))
            {
                error = $"unsupported eviction signal \"{signal}\" (Berth watches {MemoryAvailable}, {NodeFsAvailable} and {PidAvailable})";
                return null;
            }
            if (amount.EndsWith('%') && decimal.TryParse(amount[..^1], NumberStyles.Number, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100)
            {
                thresholds[signal] = new EvictionThreshold(signal, null, percent);
            }
            else if (Quantity.TryParse(amount, out var quantity) && quantity.Value >= 0)
            {
                thresholds[signal] = new EvictionThreshold(signal, quantity.Value, null);
            }
            else
            {
                error = $"\"{amount}\" for {signal} is neither a quantity (100Mi) nor a percentage (10%)";
                return null;
            }
        }
        error = null;
        return new EvictionThresholds(thresholds);
    }
}

/// <summary>One threshold: a signal and how little of it is too little, as an amount (bytes, process IDs) or as a percentage of the capacity.</summary>
public sealed record EvictionThreshold(string Signal, decimal? Amount, decimal? Percent)
{
    /// <summary>The threshold as an amount, for a resource of <paramref name="capacity"/>.</summary>
    public decimal AmountOf(decimal capacity) => Amount ?? decimal.Floor(capacity * Percent!.Value / 100);

    /// <summary>Whether <paramref name="available"/> of <paramref name="capacity"/> is under the threshold.</summary>
    public bool IsMet(decimal available, decimal capacity) => available < AmountOf(capacity);
}
