using System.Text;

namespace Berth.Storage.Tests.Conformance;

/// <summary>
/// The check behind consistent reads of idle resources: a watch of a quiet prefix reports a revision written
/// elsewhere once progress is requested. Run on stores whose periodic progress is an hour away, so only the
/// request can produce it.
/// </summary>
internal static class ProgressOnRequest
{
    public static async Task AssertArrivesAsync(IStore store)
    {
        var quiet = $"/registry/quiet-{Guid.NewGuid():N}/";
        var start = await store.GetRevisionAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = store.WatchAsync(quiet, start, deadline.Token).GetAsyncEnumerator(deadline.Token);
        var written = (await store.CreateAsync($"/registry/busy-{Guid.NewGuid():N}/a", Encoding.UTF8.GetBytes("v"), 0, CancellationToken.None)).Revision;

        var next = watch.MoveNextAsync().AsTask();
        // Ask again on every tick until the answer arrives (the deadline cancels the watch, failing the test).
        using var ask = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            store.RequestWatchProgress();
            if (await Task.WhenAny(next, ask.WaitForNextTickAsync(deadline.Token).AsTask()) != next)
                continue;
            Assert.True(await next, "the watch ended");
            if (watch.Current.IsProgress && watch.Current.Revision >= written)
                return;
            next = watch.MoveNextAsync().AsTask();
        }
    }
}
