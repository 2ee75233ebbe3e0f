namespace Berth.Core.Selectors;

/// <summary>A parsed <c>fieldSelector</c>: <c>field=value</c>, <c>field==value</c> or <c>field!=value</c> terms that must all hold.</summary>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<(string Field, bool Equal, string Value)> terms) => Terms = terms;

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<(string Field, bool Equal, string Value)> Terms { get; }

    public bool IsEverything => Terms.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> fields) =>
        Terms.All(t => (fields.GetValueOrDefault(t.Field, "") == t.Value) == t.Equal);

    /// <summary>The value this selector pins <paramref name="field"/> to, if it has an equality term for it.</summary>
    public string? RequiredValue(string field) => Terms.FirstOrDefault(t => t.Field == field && t.Equal).Value;

    public static FieldSelector? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
            return Everything;
        var terms = new List<(string, bool, string)>();
        foreach (var part in SplitTerms(text))
        {
            var (op, at) = FindOperator(part);
            if (at < 0)
            {
                error = $"invalid selector: '{text}'; can't understand '{part}'";
                return null;
            }
            var field = part[..at].Trim();
            var value = Unescape(part[(at + op.Length)..].Trim());
            terms.Add((field, op != "!=", value));
        }
        return new FieldSelector(terms);
    }

    private static (string Op, int At) FindOperator(string term)
    {
        for (var i = 0; i < term.Length; i++)
        {
            if (term[i] == '\\')
            {
                i++;
                continue;
            }
            if (term[i] == '!' && i + 1 < term.Length && term[i + 1] == '=')
                return ("!=", i);
            if (term[i] == '=')
                return (i + 1 < term.Length && term[i + 1] == '=' ? "==" : "=", i);
        }
        return ("", -1);
    }

    private static IEnumerable<string> SplitTerms(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
                i++;
            else if (text[i] == ',')
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static string Unescape(string value) =>
        value.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\=", "=", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
