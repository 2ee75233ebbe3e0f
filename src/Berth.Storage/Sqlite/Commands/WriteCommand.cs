namespace Berth.Storage.Sqlite.Commands;

/// <summary>
/// One write queued for the single writer. <see cref="Apply"/> runs inside the batch's transaction and must
/// touch nothing but the transaction, because a failed batch is rolled back and its commands applied again
/// one by one. The caller learns the outcome only after the batch has committed.
/// </summary>
internal abstract class WriteCommand
{
    public abstract void Apply(WriteTransaction transaction);

    public abstract void Complete();

    public abstract void Fail(Exception exception);
}
