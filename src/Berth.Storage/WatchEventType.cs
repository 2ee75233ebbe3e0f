namespace Berth.Storage;

public enum WatchEventType
{
    Put,
    Delete,
}
