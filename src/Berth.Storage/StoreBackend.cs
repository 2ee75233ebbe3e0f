namespace Berth.Storage;

public enum StoreBackend
{
    Sqlite,
    Etcd,
}
