namespace Berth.Storage;

/// <summary>One change to one key.</summary>
/// <param name="Type">Put (create or update) or Delete.</param>
/// <param name="Kv">The key after the change; for a delete, its value is empty and ModRevision is the deleting revision.</param>
/// <param name="PrevKv">The key before the change, or null when it was created.</param>
public sealed record WatchEvent(WatchEventType Type, KeyValue Kv, KeyValue? PrevKv)
{
    public long Revision => Kv.ModRevision;

    public bool IsCreate => Type == WatchEventType.Put && PrevKv is null;
}
