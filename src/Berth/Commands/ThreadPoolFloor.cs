namespace Berth.Commands;

/// <summary>
/// How many thread-pool threads the server keeps ready: four a core. On a saturated machine the pool otherwise holds
/// about one thread a core, and every awaited step waits its turn behind hundreds of queued requests, so that
/// sequential streams (a watch being read, one being written) fell behind what they carry, were ended and listed
/// everything again. With more threads the cores are shared by time slice instead. bench-scheduler's 50,000 pods:
/// p99 from create to binding 3.8 s instead of 26-28 s, and no relist instead of two, for 517 pods/s instead of
/// 540-585 (the creates no longer take the cores from everything else).
/// </summary>
internal static class ThreadPoolFloor
{
    private const int ThreadsPerCore = 4;

    public static void Raise()
    {
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, ThreadsPerCore * Environment.ProcessorCount), completions);
    }
}
