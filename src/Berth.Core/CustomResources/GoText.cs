using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Core.CustomResources;

/// <summary>
/// Values spelled the way upstream's Go code spells them inside error messages, so a message reads byte for byte
/// as upstream's: <c>%q</c> for strings, <c>%v</c> for numbers and <c>encoding/json</c> for the rest.
/// </summary>
internal static class GoText
{
    /// <summary>A bad value as a <c>field.Error</c> prints it: strings quoted, numbers and booleans bare, the rest as JSON.</summary>
    public static string Value(JsonNode? value) => JsonData.TypeOf(value) switch
    {
        JsonType.String => Quote(value!.GetValue<string>()),
        JsonType.Number => Float(JsonData.GetDouble(value!)),
        _ => Json(value),
    };

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>strconv.Quote</c>: printable characters as they are, the others escaped.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\a': quoted.Append("\\a"); break;
                case '\b': quoted.Append("\\b"); break;
                case '\f': quoted.Append("\\f"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                case '\v': quoted.Append("\\v"); break;
                case var c when IsPrintable(rune): quoted.Append(char.ConvertFromUtf32(c)); break;
                case var c when c < 0x80: quoted.Append(CultureInfo.InvariantCulture, $"\\x{c:x2}"); break;
                case var c when c < 0x10000: quoted.Append(CultureInfo.InvariantCulture, $"\\u{c:x4}"); break;
                case var c: quoted.Append(CultureInfo.InvariantCulture, $"\\U{c:x8}"); break;
            }
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>Go's <c>unicode.IsPrint</c>: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsPrintable(Rune rune) => rune.Value == ' ' || Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator => false,
        _ => true,
    };

    /// <summary><c>%v</c> of a float64: the shortest digits, in exponent form below 1e-4 and from 1e6 up (<c>1e+06</c>).</summary>
    public static string Float(double value)
    {
        var (digits, point) = ShortestDigits(value);
        var exponent = point - 1;
        return value == 0 || (exponent >= -4 && exponent < 6) ? Fixed(value, digits, point) : Exponent(value, digits, exponent, 2);
    }

    /// <summary><c>encoding/json</c> of an unstructured value: object keys sorted, HTML characters escaped.</summary>
    public static string Json(JsonNode? value)
    {
        var json = new StringBuilder();
        WriteJson(json, value);
        return json.ToString();
    }

    private static void WriteJson(StringBuilder json, JsonNode? value)
    {
        switch (JsonData.TypeOf(value))
        {
            case JsonType.Null:
                json.Append("null");
                break;
            case JsonType.Boolean or JsonType.Integer:
                json.Append(value!.ToJsonString());
                break;
            case JsonType.Number:
                json.Append(JsonFloat(JsonData.GetDouble(value!)));
                break;
            case JsonType.String:
                WriteJsonString(json, value!.GetValue<string>());
                break;
            case JsonType.Array:
                json.Append('[');
                foreach (var (item, i) in value!.AsArray().Select((item, i) => (item, i)))
                {
                    if (i > 0)
                        json.Append(',');
                    WriteJson(json, item);
                }
                json.Append(']');
                break;
            default:
                json.Append('{');
                foreach (var (key, item, i) in value!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal).Select((p, i) => (p.Key, p.Value, i)))
                {
                    if (i > 0)
                        json.Append(',');
                    WriteJsonString(json, key);
                    json.Append(':');
                    WriteJson(json, item);
                }
                json.Append('}');
                break;
        }
    }

    private static void WriteJsonString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case < ' ' or '<' or '>' or '&' or '\u2028' or '\u2029':
                    json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    break;
                default: json.Append(c); break;
            }
        }
        json.Append('"');
    }

    /// <summary>A float as <c>encoding/json</c> writes it: fixed notation, exponent form below 1e-6 and from 1e21 up.</summary>
    private static string JsonFloat(double value)
    {
        var (digits, point) = ShortestDigits(value);
        var magnitude = Math.Abs(value);
        return value != 0 && (magnitude < 1e-6 || magnitude >= 1e21)
            ? Exponent(value, digits, point - 1, 1)
            : Fixed(value, digits, point);
    }

    /// <summary>The shortest decimal digits that round-trip, and where the point goes: value = 0.digits × 10^point.</summary>
    private static (string Digits, int Point) ShortestDigits(double value)
    {
        if (value == 0)
            return ("0", 1);
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        var exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = e < 0 ? text : text[..e];
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? mantissa : mantissa[..dot];
        var all = whole + (dot < 0 ? "" : mantissa[(dot + 1)..]);
        var digits = all.TrimStart('0');
        var point = whole.Length + exponent - (all.Length - digits.Length);
        return (digits.TrimEnd('0'), point);
    }

    private static string Fixed(double value, string digits, int point)
    {
        var sign = value < 0 ? "-" : "";
        if (value == 0)
            return "0";
        if (point <= 0)
            return $"{sign}0.{new string('0', -point)}{digits}";
        return point >= digits.Length
            ? sign + digits + new string('0', point - digits.Length)
            : $"{sign}{digits[..point]}.{digits[point..]}";
    }

    private static string Exponent(double value, string digits, int exponent, int exponentDigits)
    {
        var sign = value < 0 ? "-" : "";
        var mantissa = digits.Length == 1 ? digits : $"{digits[0]}.{digits[1..]}";
        var power = Math.Abs(exponent).ToString(CultureInfo.InvariantCulture).PadLeft(exponentDigits, '0');
        return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{power}";
    }
}
