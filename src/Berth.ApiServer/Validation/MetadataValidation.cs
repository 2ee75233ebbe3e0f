using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Core.Errors;

namespace Berth.ApiServer.Validation;

/// <summary>Labels and annotations as upstream validates them: qualified-name keys, label values, the annotation size limit.</summary>
internal static partial class MetadataValidation
{
    private const int AnnotationsLimit = 256 * 1024;

    private const string NameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " +
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string ValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    public static void Validate(JsonObject? metadata, string path, List<StatusCause> causes)
    {
        if (metadata?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                KeyCauses(key, $"{path}.labels", causes);
                var text = value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : "";
                if (text.Length > 63)
                    causes.Add(Invalid($"{path}.labels", text, "must be no more than 63 characters"));
                else if (text.Length > 0 && !Name().IsMatch(text))
                    causes.Add(Invalid($"{path}.labels", text, ValueMessage));
            }
        }
        if (metadata?["annotations"] is JsonObject annotations)
        {
            long size = 0;
            foreach (var (key, value) in annotations)
            {
                KeyCauses(key, $"{path}.annotations", causes);
                size += Encoding.UTF8.GetByteCount(key) + (value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? Encoding.UTF8.GetByteCount(value.GetValue<string>()) : 0);
            }
            if (size > AnnotationsLimit)
                causes.Add(new StatusCause("FieldValueTooLong", $"Too long: must have at most {AnnotationsLimit} bytes", $"{path}.annotations"));
        }
    }

    /// <summary>A qualified name: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    private static void KeyCauses(string key, string field, List<StatusCause> causes)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0 && (slash == 0 || slash > 253 || !Prefix().IsMatch(key[..slash])))
        {
            causes.Add(Invalid(field, key, "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        }
        if (name.Length == 0)
            causes.Add(Invalid(field, key, "name part must be non-empty"));
        else if (name.Length > 63)
            causes.Add(Invalid(field, key, "name part must be no more than 63 characters"));
        else if (!Name().IsMatch(name))
            causes.Add(Invalid(field, key, NameMessage));
    }

    private static StatusCause Invalid(string field, string value, string message) =>
        new("FieldValueInvalid", $"Invalid value: \"{value}\": {message}", field);

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex Name();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Prefix();
}
