namespace Berth.Storage.Sqlite.Commands;

/// <summary>A write command whose caller awaits a <typeparamref name="T"/>.</summary>
internal abstract class WriteCommand<T> : WriteCommand
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public sealed override void Apply(WriteTransaction transaction) => _result = Execute(transaction);

    public sealed override void Complete() => _completion.TrySetResult(_result!);

    public sealed override void Fail(Exception exception) => _completion.TrySetException(exception);

    protected abstract T Execute(WriteTransaction transaction);
}
