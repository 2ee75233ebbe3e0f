namespace Berth.Storage;

public enum WriteStatus
{
    /// <summary>The write happened.</summary>
    Ok,

    /// <summary>A create found the key already there.</summary>
    KeyExists,

    /// <summary>The key's modification revision was not the expected one.</summary>
    Conflict,

    /// <summary>An update or delete found no such key.</summary>
    NotFound,

    /// <summary>The write named a lease that does not exist.</summary>
    LeaseNotFound,

    /// <summary>The key or value breaks the store's limits; <see cref="WriteResult.Error"/> says how.</summary>
    Invalid,
}
