namespace Berth.Agent.Cri;

/// <summary>
/// Upstream's CPU share and quota arithmetic, for containers and pods alike: 1024 shares a CPU, never under 2; a
/// CFS quota per 100 ms period, never under 1 ms. Amounts are in millicores, as upstream counts them.
/// </summary>
internal static class CpuArithmetic
{
    public const long MinShares = 2;
    public const long QuotaPeriod = 100_000;

    private const long SharesPerCpu = 1024;
    private const long MinQuota = 1_000;

    public static long Shares(decimal millicores) => Math.Max(MinShares, (long)(millicores * SharesPerCpu / 1000));

    public static long Quota(decimal millicores) => Math.Max(MinQuota, (long)(millicores * QuotaPeriod / 1000));

    /// <summary>Millicores of an amount of cores, rounded up.</summary>
    public static decimal Millicores(decimal cores) => decimal.Ceiling(cores * 1000);
}
