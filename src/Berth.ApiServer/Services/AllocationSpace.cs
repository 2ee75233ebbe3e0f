namespace Berth.ApiServer.Services;

/// <summary>
/// The items an allocator hands out, numbered <see cref="First"/> to <see cref="Last"/>, named by <see cref="Name"/>.
/// As upstream's allocators do, random allocation takes from <see cref="DynamicFirst"/> on while it can, and from the
/// low band before it only when the rest is full, so that the low band stays free for items asked for by number
/// (a DNS Service's 10.43.0.10).
/// </summary>
internal sealed record AllocationSpace(long First, long Last, long DynamicFirst, Func<long, string> Name, Func<string, long?> Number)
{
    /// <summary>The low band's size for a space of <paramref name="size"/> items: size/step, between min and max (none for tiny spaces).</summary>
    public static long StaticBand(long size, long min, long max, long step) => size < min ? 0 : Math.Clamp(size / step, min, max);
}
