namespace Berth.Storage;

/// <summary>
/// What the store accepts, the same for every backend. Keys are printable ASCII paths so that every
/// backend orders them alike (byte order = ordinal order); values are capped at etcd's default request limit.
/// </summary>
public static class StoreLimits
{
    /// <summary>1.5 MiB: etcd's default maximum request size, and so the largest object Kubernetes can store.</summary>
    public const int MaxValueBytes = 1536 * 1024;

    public const int MaxKeyLength = 2048;

    /// <summary>Null when <paramref name="key"/> is acceptable, otherwise why not.</summary>
    public static string? ValidateKey(string? key) => ValidatePath(key, "key", allowTrailingSlash: false);

    /// <summary>Null when <paramref name="prefix"/> is acceptable for a list, count or watch, otherwise why not.</summary>
    public static string? ValidatePrefix(string? prefix) => ValidatePath(prefix, "prefix", allowTrailingSlash: true);

    /// <summary>Null when <paramref name="value"/> fits, otherwise why not.</summary>
    public static string? ValidateValue(ReadOnlyMemory<byte> value) =>
        value.Length > MaxValueBytes
            ? $"value is {value.Length} bytes; the limit is {MaxValueBytes} bytes (1.5 MiB)"
            : null;

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>.</summary>
    public static string PrefixEnd(string prefix)
    {
        // Prefixes are printable ASCII, so the last character is always below 0x7F and can be incremented.
        return string.Concat(prefix.AsSpan(0, prefix.Length - 1), ((char)(prefix[^1] + 1)).ToString());
    }

    private static string? ValidatePath(string? path, string what, bool allowTrailingSlash)
    {
        if (string.IsNullOrEmpty(path))
            return $"{what} must not be empty";
        if (path[0] != '/')
            return $"{what} \"{Printable(path)}\" must start with '/'";
        if (path.Length > MaxKeyLength)
            return $"{what} is {path.Length} characters; the limit is {MaxKeyLength}";
        foreach (var c in path)
        {
            if (c is < '!' or > '~')
                return $"{what} \"{Printable(path)}\" contains a character outside printable ASCII (U+{(int)c:X4})";
        }
        if (!allowTrailingSlash && path.Length > 1 && path[^1] == '/')
            return $"{what} \"{path}\" must not end with '/'";
        return null;
    }

    private static string Printable(string s)
    {
        var shown = s.Length > 80 ? s[..80] + "..." : s;
        return string.Create(shown.Length, shown, (span, src) =>
        {
            for (var i = 0; i < src.Length; i++)
                span[i] = src[i] is < ' ' or > '~' ? '?' : src[i];
        });
    }
}
