using Microsoft.Extensions.Hosting;

namespace Berth.ApiServer;

/// <summary>
/// Leaves Ctrl+C and SIGTERM to the command that embeds the API server: it stops the server along with the
/// datastore and everything else, in order. (The default console lifetime would swallow the signals.)
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
