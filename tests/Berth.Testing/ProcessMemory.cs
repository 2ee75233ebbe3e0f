using System.Globalization;

namespace Berth.Testing;

/// <summary>What /proc says about a process's memory.</summary>
public static class ProcessMemory
{
    /// <summary>The process's resident memory (VmRSS); 0 once it is gone.</summary>
    public static long RssBytes(int pid)
    {
        var status = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status))
            return 0;
        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }
}
