namespace Berth.Client.Queues;

/// <summary>
/// Asynchronous steps that run one after another per key, in the order they were started, while the steps of other
/// keys run meanwhile: writes to one object that must reach the server in the order they were made. A key is forgotten
/// once its last step is done.
/// </summary>
public sealed class KeyedSequence
{
    private readonly Dictionary<string, Task> _last = new(StringComparer.Ordinal);

    /// <summary>Starts <paramref name="step"/> once the steps started before it under <paramref name="key"/> are done, however they ended.</summary>
    public Task Run(string key, Func<Task> step)
    {
        lock (_last)
        {
            var task = AfterAsync(_last.GetValueOrDefault(key) ?? Task.CompletedTask, step);
            _last[key] = task;
            _ = ForgetWhenDoneAsync(key, task);
            return task;
        }
    }

    /// <summary>Completes when every step started so far is done.</summary>
    public Task WhenAllDone()
    {
        lock (_last)
            return Task.WhenAll(_last.Values);
    }

    private static async Task AfterAsync(Task before, Func<Task> step)
    {
        // The earlier step's failure is its caller's to see; this one runs all the same.
        await before.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await step();
    }

    private async Task ForgetWhenDoneAsync(string key, Task task)
    {
        await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_last)
        {
            if (_last.TryGetValue(key, out var last) && last == task)
                _last.Remove(key);
        }
    }
}
