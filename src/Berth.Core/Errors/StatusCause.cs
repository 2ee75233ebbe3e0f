namespace Berth.Core.Errors;

/// <summary>One reason a request failed, e.g. <c>FieldValueInvalid</c> on <c>spec.replicas</c>.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);
