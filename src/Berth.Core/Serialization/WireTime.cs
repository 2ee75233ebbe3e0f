using System.Globalization;

namespace Berth.Core.Serialization;

/// <summary>
/// Times as the Kubernetes API writes them: <c>metav1.Time</c> in whole seconds (<c>2026-01-02T03:04:05Z</c>) and
/// <c>metav1.MicroTime</c> with microseconds (a Lease's renewTime, an event's eventTime), always in UTC.
/// </summary>
public static class WireTime
{
    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string MicroTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
