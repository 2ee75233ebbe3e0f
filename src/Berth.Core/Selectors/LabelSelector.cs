namespace Berth.Core.Selectors;

/// <summary>
/// A parsed <c>labelSelector</c>: requirements that must all hold. The syntax is Kubernetes': <c>a=b</c>,
/// <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x,y)</c>, <c>a</c>, <c>!a</c>, <c>a&gt;1</c>, <c>a&lt;1</c>.
/// </summary>
public sealed class LabelSelector
{
    private LabelSelector(IReadOnlyList<LabelRequirement> requirements)
    {
        Requirements = requirements;
        Anchor = requirements.FirstOrDefault(r => r.Operator is LabelOperator.Equals or LabelOperator.In);
    }

    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Selects no labels at all (a term without a selector): one <c>in ()</c> requirement, which nothing meets.</summary>
    public static LabelSelector Nothing { get; } = new([new LabelRequirement("", LabelOperator.In, [])]);

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool IsEverything => Requirements.Count == 0;

    /// <summary>
    /// The first requirement only a label with one of its values meets (<c>=</c>, <c>==</c>, <c>in</c>); null if none.
    /// Whatever the selector selects has one of these labels, so an index by label can find the candidates.
    /// </summary>
    public LabelRequirement? Anchor { get; }

    /// <summary>The requirements as one string, the same for selectors that require the same: to remember what a selector selected.</summary>
    public string Key => field ??= string.Join('\u0002', Requirements.Select(r => $"{r.Key}\u0001{r.Operator}\u0001{string.Join('\u0001', r.Values)}"));

    /// <summary>Whether <paramref name="labels"/> meet every requirement. A plain loop: schedulers call this for every pod of a cluster.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        for (var i = 0; i < Requirements.Count; i++)
        {
            if (!Requirements[i].Matches(labels))
                return false;
        }
        return true;
    }

    /// <summary>
    /// A metav1.LabelSelector object (<c>matchLabels</c> and <c>matchExpressions</c> with In, NotIn, Exists,
    /// DoesNotExist); null for an operator it does not know. An empty selector selects everything.
    /// </summary>
    public static LabelSelector? FromJson(System.Text.Json.Nodes.JsonObject selector)
    {
        var requirements = new List<LabelRequirement>();
        foreach (var (key, value) in selector["matchLabels"] as System.Text.Json.Nodes.JsonObject ?? [])
            requirements.Add(new LabelRequirement(key, LabelOperator.Equals, [value?.ToString() ?? ""]));
        foreach (var expression in (selector["matchExpressions"] as System.Text.Json.Nodes.JsonArray ?? []).OfType<System.Text.Json.Nodes.JsonObject>())
        {
            var values = (expression["values"] as System.Text.Json.Nodes.JsonArray ?? []).Select(v => v?.ToString() ?? "").ToList();
            LabelOperator? op = expression["operator"]?.ToString() switch
            {
                "In" => LabelOperator.In,
                "NotIn" => LabelOperator.NotIn,
                "Exists" => LabelOperator.Exists,
                "DoesNotExist" => LabelOperator.DoesNotExist,
                _ => null,
            };
            if (op is null)
                return null;
            requirements.Add(new LabelRequirement(expression["key"]?.ToString() ?? "", op.Value, values));
        }
        return new LabelSelector(requirements);
    }

    /// <summary>Parses a selector; on failure returns null and says why, in upstream's words.</summary>
    public static LabelSelector? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
            return Everything;
        var requirements = new List<LabelRequirement>();
        var reader = new Reader(text);
        while (true)
        {
            reader.SkipSpaces();
            var requirement = ParseRequirement(ref reader, out error);
            if (requirement is null)
                return null;
            requirements.Add(requirement);
            reader.SkipSpaces();
            if (reader.AtEnd)
                return new LabelSelector(requirements);
            if (!reader.Take(','))
            {
                error = $"found '{reader.Rest}', expected: ',' or 'end of string'";
                return null;
            }
        }
    }

    private static LabelRequirement? ParseRequirement(ref Reader reader, out string? error)
    {
        error = null;
        if (reader.Take('!'))
        {
            reader.SkipSpaces();
            var negated = reader.Word();
            if (ValidateKey(negated) is { } bad)
            {
                error = bad;
                return null;
            }
            return new LabelRequirement(negated, LabelOperator.DoesNotExist, []);
        }

        var key = reader.Word();
        if (ValidateKey(key) is { } invalid)
        {
            error = invalid;
            return null;
        }
        reader.SkipSpaces();
        if (reader.AtEnd || reader.Peek == ',')
            return new LabelRequirement(key, LabelOperator.Exists, []);

        LabelOperator op;
        if (reader.Take("==") || reader.Take('='))
            op = LabelOperator.Equals;
        else if (reader.Take("!="))
            op = LabelOperator.NotEquals;
        else if (reader.Take('>'))
            op = LabelOperator.GreaterThan;
        else if (reader.Take('<'))
            op = LabelOperator.LessThan;
        else
        {
            var word = reader.Word();
            op = word switch
            {
                "in" => LabelOperator.In,
                "notin" => LabelOperator.NotIn,
                _ => (LabelOperator)(-1),
            };
            if ((int)op == -1)
            {
                error = $"unable to parse requirement: found '{word}', expected: in, notin, =, ==, !=, gt, lt";
                return null;
            }
        }
        reader.SkipSpaces();

        if (op is LabelOperator.In or LabelOperator.NotIn)
        {
            if (!reader.Take('('))
            {
                error = $"unable to parse requirement: found '{reader.Rest}', expected: '('";
                return null;
            }
            var values = new List<string>();
            while (true)
            {
                reader.SkipSpaces();
                values.Add(reader.Word());
                reader.SkipSpaces();
                if (reader.Take(')'))
                    break;
                if (!reader.Take(','))
                {
                    error = $"unable to parse requirement: found '{reader.Rest}', expected: ',', ')'";
                    return null;
                }
            }
            return new LabelRequirement(key, op, values);
        }

        var value = reader.Word();
        if (op is LabelOperator.GreaterThan or LabelOperator.LessThan && !long.TryParse(value, out _))
        {
            error = $"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer";
            return null;
        }
        return new LabelRequirement(key, op, [value]);
    }

    private static string? ValidateKey(string key) =>
        key.Length == 0 ? "unable to parse requirement: found '', expected: identifier"
        : key.Length > 316 ? $"unable to parse requirement: invalid label key \"{key}\""
        : null;

    /// <summary>A cursor over the selector text.</summary>
    private ref struct Reader(string text)
    {
        private int _position;

        public readonly bool AtEnd => _position >= text.Length;

        public readonly char Peek => text[_position];

        public readonly string Rest => text[_position..];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_position]))
                _position++;
        }

        public bool Take(char c)
        {
            if (AtEnd || text[_position] != c)
                return false;
            _position++;
            return true;
        }

        public bool Take(string s)
        {
            if (string.CompareOrdinal(text, _position, s, 0, s.Length) != 0)
                return false;
            _position += s.Length;
            return true;
        }

        /// <summary>A run of the characters labels may hold: letters, digits, '-', '_', '.', '/'.</summary>
        public string Word()
        {
            var start = _position;
            while (!AtEnd && (char.IsLetterOrDigit(text[_position]) || text[_position] is '-' or '_' or '.' or '/'))
                _position++;
            return text[start.._position];
        }
    }
}
