using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.Core.Errors;

/// <summary>
/// A failed request as Kubernetes reports it: a <c>metav1.Status</c> with the upstream reason, code, message and
/// details, so that kubectl prints exactly what it prints against upstream. Details name the resource (plural)
/// for NotFound/AlreadyExists/Conflict and the Kind for Invalid, as upstream does.
/// </summary>
public sealed record ApiStatus(int Code, string Reason, string Message, string? DetailsName = null, string? DetailsGroup = null,
    string? DetailsKind = null, IReadOnlyList<StatusCause>? Causes = null, int? RetryAfterSeconds = null)
{
    public static ApiStatus NotFound(ResourceInfo resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedPlural} \"{name}\" not found", name, resource.Group, resource.Plural);

    public static ApiStatus NoSuchPath() => new(404, "NotFound", "the server could not find the requested resource");

    public static ApiStatus AlreadyExists(ResourceInfo resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedPlural} \"{name}\" already exists", name, resource.Group, resource.Plural);

    public static ApiStatus Conflict(ResourceInfo resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedPlural} \"{name}\": {why}", name, resource.Group, resource.Plural);

    public static ApiStatus StaleResourceVersion(ResourceInfo resource, string name) =>
        Conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static ApiStatus BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>A request that admission or a rule of the resource refuses: <c>pods "web" is forbidden: ...</c>.</summary>
    public static ApiStatus Forbidden(ResourceInfo resource, string name, string why) =>
        new(403, "Forbidden", $"{resource.QualifiedPlural} \"{name}\" is forbidden: {why}", name, resource.Group, resource.Plural);

    public static ApiStatus Invalid(ResourceInfo resource, string name, IReadOnlyList<StatusCause> causes) =>
        new(422, "Invalid", $"{resource.QualifiedKind} \"{name}\" is invalid: {Aggregate(causes.Select(c => $"{c.Field}: {c.Message}").ToList())}",
            name, resource.Group, resource.Kind, causes);

    /// <summary>Several errors as upstream's aggregate prints them: one alone, several in brackets.</summary>
    private static string Aggregate(List<string> errors) => errors.Count == 1 ? errors[0] : $"[{string.Join(", ", errors)}]";

    public static ApiStatus Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiStatus MethodNotAllowed(string verb) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({verb})");

    public static ApiStatus Gone(string message) => new(410, "Expired", message);

    public static ApiStatus TooLarge(long limit) =>
        new(413, "RequestEntityTooLarge", $"the request body is too large: the limit is {limit} bytes");

    public static ApiStatus UnsupportedMediaType(string contentType, IEnumerable<string> accepted) =>
        new(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: {string.Join(", ", accepted)}");

    public static ApiStatus Internal(string message) => new(500, "InternalError", $"Internal error occurred: {message}");

    public JsonObject ToJson()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (DetailsName is not null || DetailsKind is not null || Causes is not null || RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (DetailsName is not null)
                details["name"] = DetailsName;
            if (!string.IsNullOrEmpty(DetailsGroup))
                details["group"] = DetailsGroup;
            if (DetailsKind is not null)
                details["kind"] = DetailsKind;
            if (Causes is { Count: > 0 })
            {
                details["causes"] = new JsonArray([.. Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                })]);
            }
            if (RetryAfterSeconds is { } seconds)
                details["retryAfterSeconds"] = seconds;
            status["details"] = details;
        }
        status["code"] = Code;
        return status;
    }
}
