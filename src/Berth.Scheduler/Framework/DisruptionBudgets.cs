using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Berth.Core.Selectors;

namespace Berth.Scheduler.Framework;

/// <summary>
/// The PodDisruptionBudgets, as preemption weighs them: which pods each protects (its namespace and non-empty
/// selector) and how many of them may still be disrupted (<c>status.disruptionsAllowed</c>).
/// </summary>
public sealed class DisruptionBudgets
{
    private readonly ConcurrentDictionary<string, Budget> _budgets = new(StringComparer.Ordinal);

    public IEnumerable<Budget> All => _budgets.Values;

    public void Set(JsonObject budget)
    {
        var metadata = budget["metadata"];
        var key = $"{metadata?["namespace"]}/{metadata?["name"]}";
        var selector = budget["spec"]?["selector"] is JsonObject given ? LabelSelector.FromJson(given) : null;
        var allowed = budget["status"]?["disruptionsAllowed"] is JsonValue value && value.TryGetValue<int>(out var n) ? n : 0;
        _budgets[key] = new Budget(key, metadata?["namespace"]?.ToString() ?? "", selector, allowed);
    }

    public void Remove(JsonObject budget) => _budgets.TryRemove($"{budget["metadata"]?["namespace"]}/{budget["metadata"]?["name"]}", out _);

    /// <summary>One budget: an empty or missing selector protects nothing, as upstream's preemption reads it.</summary>
    public sealed record Budget(string Key, string Namespace, LabelSelector? Selector, int DisruptionsAllowed)
    {
        public bool Protects(PodInfo pod) =>
            pod.Namespace == Namespace && Selector is { IsEverything: false } selector && selector.Matches(pod.Labels);
    }
}
