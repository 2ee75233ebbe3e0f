using System.Globalization;

namespace Berth.Core.Quantities;

/// <summary>
/// A resource quantity (<c>500m</c>, <c>128Mi</c>, <c>1.5</c>, <c>2e3</c>) as Kubernetes writes them: a decimal number
/// with a binary suffix (Ki … Ei), a decimal SI suffix (n u m k M G T P E) or a decimal exponent.
/// </summary>
public readonly record struct Quantity(decimal Value)
{
    /// <summary>The pattern upstream's error messages quote for quantities that do not parse.</summary>
    public const string Pattern = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1000m), ("M", 1_000_000m), ("G", 1_000_000_000m),
        ("T", 1_000_000_000_000m), ("P", 1_000_000_000_000_000m), ("E", 1_000_000_000_000_000_000m),
    ];

    /// <summary>The value in thousandths (millicores for CPU), rounded up as upstream's MilliValue is.</summary>
    public decimal MilliValue => decimal.Ceiling(Value * 1000);

    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text))
            return false;
        var split = 0;
        if (text[0] is '+' or '-')
            split = 1;
        while (split < text.Length && (char.IsAsciiDigit(text[split]) || text[split] == '.'))
            split++;
        var number = text[..split];
        var suffix = text[split..];
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            return false;
        try
        {
            if (suffix.Length == 0)
            {
                quantity = new Quantity(value);
                return true;
            }
            foreach (var (name, factor) in Suffixes)
            {
                if (suffix == name)
                {
                    quantity = new Quantity(value * factor);
                    return true;
                }
            }
            if (suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                && exponent is >= -28 and <= 28)
            {
                quantity = new Quantity(value * Power(exponent));
                return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }
        return false;
    }

    private static decimal Power(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
            result *= 10;
        return exponent < 0 ? 1 / result : result;
    }
}
