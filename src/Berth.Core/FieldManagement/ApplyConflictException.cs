using Berth.Core.Errors;

namespace Berth.Core.FieldManagement;

/// <summary>
/// An apply would change fields other managers own: a 409 whose message and causes name each field and its manager
/// as upstream does, so that kubectl prints its advice about <c>--force-conflicts</c>.
/// </summary>
public sealed class ApplyConflictException : Exception
{
    public ApplyConflictException(IReadOnlyList<(ManagedFieldsEntry Owner, IReadOnlyList<string> Path)> conflicts)
        : base(Describe(conflicts))
    {
        var causes = conflicts
            .Select(c => new StatusCause("FieldManagerConflict", $"conflict with {c.Owner.Describe()}", FieldSet.Describe(c.Path)))
            .ToList();
        Status = new ApiStatus(409, "Conflict", Message, Causes: causes);
    }

    public ApiStatus Status { get; }

    private static string Describe(IReadOnlyList<(ManagedFieldsEntry Owner, IReadOnlyList<string> Path)> conflicts)
    {
        if (conflicts.Count == 1)
            return $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {FieldSet.Describe(conflicts[0].Path)}";
        var lines = conflicts
            .GroupBy(c => c.Owner.Describe())
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => g.Select(c => $"- {FieldSet.Describe(c.Path)}").Prepend($"conflicts with {g.Key}:"));
        return $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
    }
}
