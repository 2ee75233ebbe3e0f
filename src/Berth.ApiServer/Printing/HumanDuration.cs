namespace Berth.ApiServer.Printing;

/// <summary>Ages as kubectl users know them: 45s, 3m20s, 47m, 5h12m, 3d4h, 200d, 3y41d.</summary>
internal static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
            return "<invalid>";
        if (seconds < 0)
            return "0s";
        if (seconds < 120)
            return $"{seconds}s";
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
            return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 180)
            return $"{minutes}m";
        var hours = (long)d.TotalHours;
        if (hours < 8)
            return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48)
            return $"{hours}h";
        if (hours < 24 * 8)
            return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        if (hours < 24 * 365 * 2)
            return $"{hours / 24}d";
        var years = hours / 24 / 365;
        if (hours < 24 * 365 * 8)
        {
            var days = hours / 24 % 365;
            return days == 0 ? $"{years}y" : $"{years}y{days}d";
        }
        return $"{years}y";
    }
}
