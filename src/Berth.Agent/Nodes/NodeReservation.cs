using Berth.Core.Quantities;

namespace Berth.Agent.Nodes;

/// <summary>
/// What a node keeps from its pods (upstream's <c>--system-reserved</c> and <c>--kube-reserved</c>): CPU in cores,
/// memory and ephemeral storage in bytes.
/// </summary>
public sealed record NodeReservation(decimal Cpu, decimal Memory, decimal EphemeralStorage)
{
    public static NodeReservation None { get; } = new(0, 0, 0);

    public NodeReservation Plus(NodeReservation other) => new(Cpu + other.Cpu, Memory + other.Memory, EphemeralStorage + other.EphemeralStorage);

    /// <summary><c>cpu=500m,memory=1Gi,ephemeral-storage=1Gi</c>, any of them; null with the reason when a part is not one.</summary>
    public static NodeReservation? Parse(string text, out string? error)
    {
        error = null;
        var reservation = None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = part.Split('=', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : (part, "");
            if (name is not ("cpu" or "memory" or "ephemeral-storage") || !Quantity.TryParse(value, out var quantity) || quantity.Value < 0)
            {
                error = $"\"{part}\" is not <cpu|memory|ephemeral-storage>=<quantity>";
                return null;
            }
            reservation = name switch
            {
                "cpu" => reservation with { Cpu = quantity.Value },
                "memory" => reservation with { Memory = quantity.Value },
                _ => reservation with { EphemeralStorage = quantity.Value },
            };
        }
        return reservation;
    }
}
