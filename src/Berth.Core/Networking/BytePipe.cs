namespace Berth.Core.Networking;

/// <summary>
/// Copies bytes both ways between two connections until either ends, then stops both: for upgraded connections
/// whose protocol is carried without being read (a SPDY session between kubectl and a runtime's stream server).
/// </summary>
public static class BytePipe
{
    private const int BufferSize = 32 * 1024;

    public static async Task RunAsync(Stream one, Stream other, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(CopyAsync(one, other, stop.Token), CopyAsync(other, one, stop.Token));
        await stop.CancelAsync();
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await to.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The other side ended the session first.
        }
    }
}
