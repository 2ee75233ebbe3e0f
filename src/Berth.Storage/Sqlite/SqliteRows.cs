using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Sqlite;

/// <summary>Conversions between log rows and <see cref="KeyValue"/>s, shared by the reader and the writer.</summary>
internal static class SqliteRows
{
    /// <summary>The columns <see cref="ReadKeyValue"/> expects, in order, for a log table aliased <c>l</c>.</summary>
    public const string Columns = "l.key, l.value, l.create_revision, l.revision, l.version, l.lease";

    public static KeyValue ReadKeyValue(SqliteDataReader reader, int first = 0) => new(
        reader.GetString(first),
        (byte[])reader.GetValue(first + 1),
        reader.GetInt64(first + 2),
        reader.GetInt64(first + 3),
        reader.GetInt64(first + 4),
        reader.GetInt64(first + 5));

    /// <summary>The bytes to bind as a BLOB, without a copy when the memory is a whole array.</summary>
    public static byte[] ToArray(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();
}
