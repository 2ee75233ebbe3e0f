namespace Berth.Scheduler.Configuration;

/// <summary>A scheduler configuration file Berth cannot run with, and why.</summary>
public sealed class SchedulerConfigurationException(string message) : Exception(message);
