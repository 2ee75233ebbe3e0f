using Berth.Core.Errors;

namespace Berth.Core.CustomResources;

/// <summary>
/// Causes as upstream's <c>field.Error</c> words them: the reason, then "Type: value: detail" as the message, where
/// the value is spelled by <see cref="GoText"/> (already spelled when passed here).
/// </summary>
internal static class FieldErrors
{
    public static StatusCause Required(string field) => new("FieldValueRequired", "Required value", field);

    public static StatusCause Invalid(string field, string value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {value}: {detail}", field);

    /// <summary>A type error: its own reason, but upstream prints it as "Invalid value".</summary>
    public static StatusCause TypeInvalid(string field, string value, string detail) =>
        new("FieldValueTypeInvalid", $"Invalid value: {value}: {detail}", field);

    public static StatusCause NotSupported(string field, string value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", $"Unsupported value: {value}: supported values: {string.Join(", ", supported.Select(GoText.Quote))}", field);

    public static StatusCause TooLong(string field, long max) =>
        new("FieldValueTooLong", $"Too long: may not be more than {GoText.Integer(max)} {(max == 1 ? "byte" : "bytes")}", field);

    public static StatusCause TooMany(string field, long actual, long max) =>
        new("FieldValueTooMany", $"Too many: {GoText.Integer(actual)}: must have at most {GoText.Integer(max)} {(max == 1 ? "item" : "items")}", field);

    public static StatusCause Duplicate(string field, string value) => new("FieldValueDuplicate", $"Duplicate value: {value}", field);
}
