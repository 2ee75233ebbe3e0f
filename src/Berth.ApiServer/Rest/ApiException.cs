using Berth.Core.Errors;

namespace Berth.ApiServer.Rest;

/// <summary>
/// Ends a request with a Kubernetes Status. Handlers throw it from deep inside a request (a bad body, a missing
/// namespace); the REST endpoint turns it into the response. Only for answers to the client, never for bugs.
/// </summary>
internal sealed class ApiException(ApiStatus status) : Exception(status.Message)
{
    public ApiStatus Status { get; } = status;
}
