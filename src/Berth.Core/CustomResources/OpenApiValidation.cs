using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Core.Errors;

namespace Berth.Core.CustomResources;

/// <summary>
/// The OpenAPI value validations of a CRD schema, in upstream's order and words: per value the type, then
/// allOf/anyOf/oneOf/not, the string, format, number and list rules, the enum, and last the object rules (which
/// descend into the properties). Errors name the value by its path in the body (<c>spec.list[0].name</c>), as
/// upstream's validator does; errors of the combinators name no field (upstream prints <c>&lt;nil&gt;</c>).
/// </summary>
internal static class OpenApiValidation
{
    private const string NoField = "<nil>";

    public static void Validate(JsonObject obj, JsonObject schema, List<StatusCause> causes) => Validate(obj, schema, "", causes);

    private static void Validate(JsonNode? value, JsonObject schema, string path, List<StatusCause> causes)
    {
        var types = schema.Types();
        if (value is null)
        {
            if (types.Count > 0 && !schema.Flag("nullable"))
                causes.Add(TypeError(path, string.Join(',', types), "null"));
            ValidateEnum(value, schema, path, causes);
            return;
        }
        var type = JsonData.TypeOf(value);
        var format = Format(schema, types);
        ValidateType(value, type, types, format, path, causes);
        ValidateCombinators(value, schema, path, causes);
        switch (type)
        {
            case JsonType.String:
                ValidateString(value.GetValue<string>(), schema, format, path, causes);
                break;
            case JsonType.Integer or JsonType.Number:
                ValidateNumber(value, schema, path, causes);
                break;
            case JsonType.Array:
                ValidateArray(value.AsArray(), schema, path, causes);
                break;
        }
        ValidateEnum(value, schema, path, causes);
        if (type == JsonType.Object)
            ValidateObject(value.AsObject(), schema, path, causes);
    }

    /// <summary>The format that applies: upstream drops the formats it does not know for the type, as if absent.</summary>
    private static string Format(JsonObject schema, IReadOnlyList<string> types)
    {
        var format = schema.Text("format") ?? "";
        return (types.Count == 1 ? types[0] : "") switch
        {
            _ when format.Length == 0 => "",
            "" or "string" => StringFormats.IsSupported(format) ? format : "",
            "integer" => format is "int32" or "int64" ? format : "",
            "number" => format is "float" or "double" ? format : "",
            _ => "",
        };
    }

    /// <summary>
    /// The type check. An integer field takes a float with no fraction and a number field takes an integer; a
    /// numeric format must fit the value (an integer is an int64, a float a float64), and a string or list with a
    /// format on a non-numeric type is not type-checked at all (upstream's quirk, kept).
    /// </summary>
    private static void ValidateType(JsonNode value, JsonType type, IReadOnlyList<string> types, string format, string path, List<StatusCause> causes)
    {
        if (types.Count == 0 && format.Length == 0)
            return;
        var name = JsonData.Name(type);
        var valueFormat = type switch { JsonType.Integer => "int64", JsonType.Number => "float64", _ => "" };
        var floatAsInteger = type == JsonType.Number && JsonData.IsWholeNumber(JsonData.GetDouble(value)) && types.Contains("integer");
        var integerAsNumber = type == JsonType.Integer && types.Contains("number");
        var fits = types.Contains(name) || floatAsInteger || integerAsNumber;
        if (type is not (JsonType.String or JsonType.Array) && format.Length > 0 && !fits && valueFormat != format)
        {
            causes.Add(TypeError(path, format, valueFormat));
            return;
        }
        if (!types.Contains("number") && !types.Contains("integer") && format.Length > 0 && type is JsonType.String or JsonType.Array)
            return;
        if (!fits)
            causes.Add(TypeError(path, string.Join(',', types), name));
    }

    /// <summary>
    /// allOf, anyOf, oneOf and not. Where no alternative holds, upstream adds the errors of the one that came closest
    /// (by its count of passed checks); here, of the one with the fewest errors.
    /// </summary>
    private static void ValidateCombinators(JsonNode value, JsonObject schema, string path, List<StatusCause> causes)
    {
        var anyOf = schema.Schemas("anyOf").Select(s => Errors(value, s, path)).ToList();
        if (anyOf.Count > 0 && anyOf.All(e => e.Count > 0))
        {
            causes.Add(Unnamed($"{GoText.Quote(path)} must validate at least one schema (anyOf)"));
            causes.AddRange(anyOf.MinBy(e => e.Count)!);
        }

        var oneOf = schema.Schemas("oneOf").Select(s => Errors(value, s, path)).ToList();
        var valid = oneOf.Count(e => e.Count == 0);
        if (oneOf.Count > 0 && valid != 1)
        {
            var found = valid == 0 ? "Found none valid" : string.Create(CultureInfo.InvariantCulture, $"Found {valid} valid alternatives");
            causes.Add(Unnamed($"{GoText.Quote(path)} must validate one and only one schema (oneOf). {found}"));
            if (valid == 0)
                causes.AddRange(oneOf.MinBy(e => e.Count)!);
        }

        var allOf = schema.Schemas("allOf").Select(s => Errors(value, s, path)).ToList();
        if (allOf.Any(e => e.Count > 0))
        {
            causes.AddRange(allOf.SelectMany(e => e));
            causes.Add(Unnamed($"{GoText.Quote(path)} must validate all the schemas (allOf){(allOf.All(e => e.Count > 0) ? ". None validated" : "")}"));
        }

        if (schema["not"] is JsonObject not && Errors(value, not, path).Count == 0)
            causes.Add(Unnamed($"{GoText.Quote(path)} must not validate the schema (not)"));
    }

    private static List<StatusCause> Errors(JsonNode value, JsonObject schema, string path)
    {
        var errors = new List<StatusCause>();
        Validate(value, schema, path, errors);
        return errors;
    }

    /// <summary>Length in characters (upstream counts runes, though its message says bytes), then minLength, then pattern: the first failure only.</summary>
    private static void ValidateString(string text, JsonObject schema, string format, string path, List<StatusCause> causes)
    {
        var length = text.EnumerateRunes().Count();
        if (schema.Count("maxLength") is { } max && length > max)
            causes.Add(FieldErrors.TooLong(Field(path), max));
        else if (schema.Count("minLength") is { } min && length < min)
            causes.Add(Invalid(path, GoText.Quote(text), $"should be at least {GoText.Integer(min)} chars long"));
        else if (schema.Text("pattern") is { Length: > 0 } pattern && PatternError(text, pattern) is { } error)
            causes.Add(Invalid(path, GoText.Quote(text), $"should match '{error}'"));

        if (format.Length > 0 && !StringFormats.IsValid(format, text))
            causes.Add(TypeError(path, format, text));
    }

    /// <summary>
    /// Null when <paramref name="text"/> matches; else what upstream quotes. Patterns are RE2 upstream; the
    /// non-backtracking engine accepts the same constructs, but <c>\d</c>, <c>\w</c> and <c>\s</c> also match
    /// non-ASCII characters here.
    /// </summary>
    private static string? PatternError(string text, string pattern)
    {
        try
        {
            return Regex.IsMatch(text, pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant) ? null : pattern;
        }
        catch (ArgumentException e)
        {
            return $"{pattern}, but pattern is invalid: {e.Message}";
        }
    }

    /// <summary>
    /// multipleOf, minimum, maximum. An integer is checked in integers, so a fractional bound or factor is
    /// truncated first, as upstream does; a float is checked in floats.
    /// </summary>
    private static void ValidateNumber(JsonNode value, JsonObject schema, string path, List<StatusCause> causes)
    {
        var isInteger = JsonData.TryGetInteger(value, out var integer);
        var real = JsonData.GetDouble(value);
        var bad = isInteger ? GoText.Integer(integer) : GoText.Float(real);

        if (schema.Number("multipleOf") is { } factor)
        {
            if (isInteger)
            {
                var whole = Truncate(factor);
                if (whole <= 0)
                    causes.Add(Invalid(path, GoText.Integer(whole), $"factor MultipleOf declared for {path} must be positive: {GoText.Integer(whole)}", prefix: false));
                else if (integer % whole != 0)
                    causes.Add(Invalid(path, bad, $"should be a multiple of {GoText.Integer(whole)}"));
            }
            else if (factor <= 0)
            {
                causes.Add(Invalid(path, GoText.Float(factor), $"factor MultipleOf declared for {path} must be positive: {GoText.Float(factor)}", prefix: false));
            }
            else if (!JsonData.IsWholeNumber(factor < 1 ? 1 / factor * real : real / factor))
            {
                causes.Add(Invalid(path, bad, $"should be a multiple of {GoText.Float(factor)}"));
            }
        }
        if (schema.Number("minimum") is { } minimum)
        {
            var exclusive = schema.Flag("exclusiveMinimum");
            var below = isInteger
                ? integer < Truncate(minimum) || (exclusive && integer == Truncate(minimum))
                : real < minimum || (exclusive && real == minimum);
            var bound = isInteger ? GoText.Integer(Truncate(minimum)) : GoText.Float(minimum);
            if (below)
                causes.Add(Invalid(path, bad, exclusive ? $"should be greater than {bound}" : $"should be greater than or equal to {bound}"));
        }
        if (schema.Number("maximum") is { } maximum)
        {
            var exclusive = schema.Flag("exclusiveMaximum");
            var above = isInteger
                ? integer > Truncate(maximum) || (exclusive && integer == Truncate(maximum))
                : real > maximum || (exclusive && real == maximum);
            var bound = isInteger ? GoText.Integer(Truncate(maximum)) : GoText.Float(maximum);
            if (above)
                causes.Add(Invalid(path, bad, exclusive ? $"should be less than {bound}" : $"should be less than or equal to {bound}"));
        }
    }

    private static long Truncate(double value) => (long)Math.Clamp(Math.Truncate(value), long.MinValue, long.MaxValue);

    /// <summary>The elements first, then minItems, maxItems and uniqueItems.</summary>
    private static void ValidateArray(JsonArray list, JsonObject schema, string path, List<StatusCause> causes)
    {
        if (schema.Items() is { } items)
        {
            for (var i = 0; i < list.Count; i++)
                Validate(list[i], items, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), causes);
        }
        if (schema.Count("minItems") is { } min && list.Count < min)
            causes.Add(Invalid(path, GoText.Integer(list.Count), $"should have at least {GoText.Integer(min)} items"));
        if (schema.Count("maxItems") is { } max && list.Count > max)
            causes.Add(FieldErrors.TooMany(Field(path), list.Count, max));
        if (schema.Flag("uniqueItems") && list.Where((item, i) => list.Take(i).Any(earlier => JsonData.ValueEquals(earlier, item))).Any())
            causes.Add(Invalid(path, "\"\"", "shouldn't contain duplicates"));
    }

    /// <summary>An enum admits equal values (numbers by value). Upstream never admits null here, even when listed.</summary>
    private static void ValidateEnum(JsonNode? value, JsonObject schema, string path, List<StatusCause> causes)
    {
        if (schema["enum"] is not JsonArray { Count: > 0 } options || (value is not null && options.Any(o => o is not null && JsonData.ValueEquals(o, value))))
            return;
        var supported = options.Select(o => JsonData.TypeOf(o) == JsonType.String ? o!.GetValue<string>() : GoText.Json(o));
        causes.Add(FieldErrors.NotSupported(Field(path), GoText.Value(value), supported));
    }

    /// <summary>min/maxProperties, the map's values, the properties, then required. A root's apiVersion, kind and metadata are the server's.</summary>
    private static void ValidateObject(JsonObject obj, JsonObject schema, string path, List<StatusCause> causes)
    {
        var root = path.Length == 0;
        if (schema.Count("minProperties") is { } min && obj.Count < min)
            causes.Add(Invalid(path, GoText.Integer(obj.Count), $"should have at least {GoText.Integer(min)} properties"));
        if (schema.Count("maxProperties") is { } max && obj.Count > max)
            causes.Add(FieldErrors.TooMany(Field(path), obj.Count, max));

        if (schema["additionalProperties"] is JsonObject values)
        {
            foreach (var (key, child) in obj)
            {
                if (schema.Property(key) is null && !(root && SchemaKeywords.IsResourceMeta(key)))
                    Validate(child, values, $"{path}.{key}", causes);
            }
        }
        foreach (var (key, property) in schema.Properties())
        {
            if (obj.TryGetPropertyValue(key, out var child) && !(root && SchemaKeywords.IsResourceMeta(key)))
                Validate(child, property, root ? key : $"{path}.{key}", causes);
        }
        foreach (var key in schema.Texts("required"))
        {
            if (!obj.ContainsKey(key) && !(root && SchemaKeywords.IsResourceMeta(key)))
                causes.Add(FieldErrors.Required(Field($"{path}.{key}")));
        }
    }

    /// <summary>The field of an error: the path without the leading dot upstream's root-level names carry.</summary>
    private static string Field(string path) => path.Length == 0 || path == "." ? NoField : path.StartsWith('.') ? path[1..] : path;

    /// <summary>A type error: upstream passes the offending type (or format) name as the bad value.</summary>
    private static StatusCause TypeError(string path, string expected, string actual) =>
        FieldErrors.TypeInvalid(Field(path), GoText.Quote(actual), $"{path} in body must be of type {expected}: {GoText.Quote(actual)}");

    /// <summary>An invalid value whose detail reads "{path} in body {detail}", as kube-openapi words its errors.</summary>
    private static StatusCause Invalid(string path, string value, string detail, bool prefix = true) =>
        FieldErrors.Invalid(Field(path), value, prefix ? $"{path} in body {detail}" : detail);

    private static StatusCause Unnamed(string detail) => FieldErrors.Invalid(NoField, "\"\"", detail);
}
