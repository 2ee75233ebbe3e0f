using Berth.Scheduler.Framework;

namespace Berth.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// Pod affinity and anti-affinity, as upstream's InterPodAffinity. A topology domain is the set of nodes sharing a
/// label's value (a zone, a host). Filter: each required affinity term of the pod needs a pod it selects in the node's
/// domain (or, for the first pod of a group that selects itself, only the topology labels); no pod selected by a
/// required anti-affinity term may be in the node's domain; and no pod already placed may have a required
/// anti-affinity term that selects this pod within the node's domain. PreFilter counts the pods per domain once, so
/// that Filter only looks the node's labels up. Score: the preferred terms of the pod (+weight for affinity, −weight
/// for anti-affinity) and of the pods already placed, and those pods' required affinity terms
/// (×<c>hardPodAffinityWeight</c>), summed per domain; a node scores what its domains add up to, scaled from the
/// lowest (0) to the highest (100). With <c>ignorePreferredTermsOfExistingPods</c>, a pod without preferred terms of
/// its own skips scoring (the placed pods' terms are then not weighed for it).
/// </summary>
public sealed class InterPodAffinity(int hardPodAffinityWeight = 1, bool ignorePreferredTermsOfExistingPods = false)
    : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
    public const string ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

    private const string PreFilterKey = "PreFilter" + nameof(InterPodAffinity);
    private const string PreScoreKey = "PreScore" + nameof(InterPodAffinity);

    private static readonly Status AffinityNotMatched = Status.Unresolvable(ErrReasonAffinityRulesNotMatch);
    private static readonly Status AntiAffinityNotMatched = Status.Unschedulable(ErrReasonAntiAffinityRulesNotMatch);
    private static readonly Status ExistingAntiAffinityNotMatched = Status.Unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);

    public string Name => nameof(InterPodAffinity);

    /// <summary>
    /// Counts per domain: the placed pods whose required anti-affinity selects this pod, and, if the pod has required
    /// terms, the placed pods its affinity and anti-affinity select. The snapshot offers only the pods a term may
    /// select (by label). Skips Filter when there is nothing to check.
    /// </summary>
    public Status PreFilter(CycleState state, PodInfo pod, Snapshot snapshot)
    {
        var counts = new Filtering(pod, snapshot);
        foreach (var (existing, node) in snapshot.WithAntiAffinityFor(pod))
            counts.CountExisting(existing, node, 1);
        if (pod.RequiredAffinity.Count > 0)
        {
            foreach (var (existing, node) in snapshot.Selectable(pod.RequiredAffinity[0].Selector))
                counts.CountAffinity(existing, node, 1);
        }
        var antiAffinity = pod.RequiredAntiAffinity;
        for (var i = 0; i < antiAffinity.Count; i++)
        {
            foreach (var (existing, node) in snapshot.Selectable(antiAffinity[i].Selector))
                counts.CountAntiAffinity(antiAffinity[i], existing, node, 1);
        }
        if (pod.RequiredAffinity.Count == 0 && antiAffinity.Count == 0 && counts.ExistingAntiAffinity.IsEmpty)
            return Status.Skip;
        counts.MatchesOwnAffinity = MatchesAll(pod.RequiredAffinity, pod, snapshot.Namespaces);
        state.Write(PreFilterKey, counts);
        return Status.Success;
    }

    /// <summary>The pod's affinity first (unresolvable: removing pods cannot help), then its anti-affinity, then that of the pods placed.</summary>
    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var counts = state.Read<Filtering>(PreFilterKey)!.For(node);
        if (!SatisfiesAffinity(counts, pod, node))
            return AffinityNotMatched;
        if (!counts.AntiAffinity.IsEmpty && InAnyDomain(counts.AntiAffinity, pod.RequiredAntiAffinity, node))
            return AntiAffinityNotMatched;
        if (counts.ExistingAntiAffinity.AnyPositive(node))
            return ExistingAntiAffinityNotMatched;
        return Status.Success;
    }

    /// <summary>
    /// Sums the weights per domain: of the pod's preferred terms over the placed pods they may select, and of the
    /// terms of placed pods that have scoring terms. Skips scoring when nothing adds up.
    /// </summary>
    public Status PreScore(CycleState state, PodInfo pod, Snapshot snapshot, IReadOnlyList<NodeInfo> feasible)
    {
        if (feasible.Count == 0 || (ignorePreferredTermsOfExistingPods && pod.PreferredAffinity.Count + pod.PreferredAntiAffinity.Count == 0))
            return Status.Skip;
        var namespaces = snapshot.Namespaces;
        var scores = new TopologyCounts();
        AddPreferred(scores, pod.PreferredAffinity, snapshot, 1);
        AddPreferred(scores, pod.PreferredAntiAffinity, snapshot, -1);
        foreach (var node in snapshot.Index.WithScoringTerms)
        {
            if (node.Labels.Count == 0)
                continue;
            var withTerms = node.PodsWithScoringTerms;
            for (var p = 0; p < withTerms.Count; p++)
            {
                var existing = withTerms[p];
                if (hardPodAffinityWeight > 0)
                {
                    var required = existing.RequiredAffinity;
                    for (var i = 0; i < required.Count; i++)
                    {
                        if (required[i].Matches(pod, namespaces))
                            scores.Add(node, required[i].TopologyKey, hardPodAffinityWeight);
                    }
                }
                AddWeights(scores, existing.PreferredAffinity, pod, namespaces, node, 1);
                AddWeights(scores, existing.PreferredAntiAffinity, pod, namespaces, node, -1);
            }
        }
        if (scores.IsEmpty)
            return Status.Skip;
        state.Write(PreScoreKey, scores);
        return Status.Success;
    }

    public void Score(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        var counts = state.Read<TopologyCounts>(PreScoreKey)!;
        for (var i = 0; i < nodes.Count; i++)
            scores[i] = counts.Sum(nodes[i]);
    }

    /// <summary>Scales the sums so the lowest becomes 0 and the highest 100; all 0 when they are equal.</summary>
    public void Normalize(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes, long[] scores)
    {
        if (scores.Length == 0)
            return;
        var (min, max) = (scores.Min(), scores.Max());
        for (var i = 0; i < scores.Length; i++)
            scores[i] = max > min ? (long)(IScorePlugin.MaxScore * ((double)(scores[i] - min) / (max - min))) : 0;
    }

    /// <summary>
    /// Every term's domain on the node has a pod the terms select, and the node has every term's topology label. When no
    /// pod anywhere is selected, a pod its own terms select may start the group on any node with those labels.
    /// </summary>
    private static bool SatisfiesAffinity(Filtering counts, PodInfo pod, NodeInfo node)
    {
        var podsExist = true;
        var terms = pod.RequiredAffinity;
        for (var i = 0; i < terms.Count; i++)
        {
            if (!node.Labels.TryGetValue(terms[i].TopologyKey, out var value))
                return false;
            if (counts.Affinity[terms[i].TopologyKey, value] <= 0)
                podsExist = false;
        }
        return podsExist || (counts.Affinity.IsEmpty && counts.MatchesOwnAffinity);
    }

    /// <summary>Whether, for some term, the node's domain for the term's topology key has a count above zero.</summary>
    private static bool InAnyDomain(TopologyCounts counts, IReadOnlyList<AffinityTerm> terms, NodeInfo node)
    {
        for (var i = 0; i < terms.Count; i++)
        {
            if (node.Labels.TryGetValue(terms[i].TopologyKey, out var value) && counts[terms[i].TopologyKey, value] > 0)
                return true;
        }
        return false;
    }

    /// <summary>Each term's weight (times <paramref name="sign"/>) in the domain of every placed pod it selects.</summary>
    private static void AddPreferred(TopologyCounts scores, IReadOnlyList<AffinityTerm> terms, Snapshot snapshot, int sign)
    {
        for (var i = 0; i < terms.Count; i++)
        {
            foreach (var (existing, node) in snapshot.Selectable(terms[i].Selector))
            {
                if (terms[i].Matches(existing, snapshot.Namespaces))
                    scores.Add(node, terms[i].TopologyKey, (long)sign * terms[i].Weight);
            }
        }
    }

    private static void AddWeights(TopologyCounts scores, IReadOnlyList<AffinityTerm> terms, PodInfo candidate, NamespaceLabels namespaces, NodeInfo node, int sign)
    {
        for (var i = 0; i < terms.Count; i++)
        {
            if (terms[i].Matches(candidate, namespaces))
                scores.Add(node, terms[i].TopologyKey, (long)sign * terms[i].Weight);
        }
    }

    /// <summary>Whether <paramref name="candidate"/> is selected by every one of <paramref name="terms"/> (false for none).</summary>
    private static bool MatchesAll(IReadOnlyList<AffinityTerm> terms, PodInfo candidate, NamespaceLabels namespaces)
    {
        if (terms.Count == 0)
            return false;
        for (var i = 0; i < terms.Count; i++)
        {
            if (!terms[i].Matches(candidate, namespaces))
                return false;
        }
        return true;
    }

    /// <summary>What PreFilter counted for the pod being placed, per topology domain.</summary>
    private sealed class Filtering(PodInfo pod, Snapshot snapshot)
    {
        /// <summary>Placed pods whose required anti-affinity selects the pod.</summary>
        public TopologyCounts ExistingAntiAffinity { get; private init; } = new();

        /// <summary>Placed pods that every required affinity term of the pod selects (counted once per term).</summary>
        public TopologyCounts Affinity { get; private init; } = new();

        /// <summary>Placed pods selected by a required anti-affinity term of the pod (counted once per term).</summary>
        public TopologyCounts AntiAffinity { get; private init; } = new();

        /// <summary>Whether the pod's required affinity terms select the pod itself (the first pod of a group).</summary>
        public bool MatchesOwnAffinity { get; set; }

        // Index loops, in this plugin: they run for many pods in every cycle, and a foreach over a list interface
        // allocates an enumerator each time.
        public void CountExisting(PodInfo existing, NodeInfo node, int sign)
        {
            var terms = existing.RequiredAntiAffinity;
            for (var i = 0; i < terms.Count; i++)
            {
                if (terms[i].Matches(pod, snapshot.Namespaces))
                    ExistingAntiAffinity.Add(node, terms[i].TopologyKey, sign);
            }
        }

        public void CountAffinity(PodInfo existing, NodeInfo node, int sign)
        {
            var affinity = pod.RequiredAffinity;
            if (MatchesAll(affinity, existing, snapshot.Namespaces))
            {
                for (var i = 0; i < affinity.Count; i++)
                    Affinity.Add(node, affinity[i].TopologyKey, sign);
            }
        }

        public void CountAntiAffinity(AffinityTerm term, PodInfo existing, NodeInfo node, int sign)
        {
            if (term.Matches(existing, snapshot.Namespaces))
                AntiAffinity.Add(node, term.TopologyKey, sign);
        }

        /// <summary>
        /// The counts to judge <paramref name="node"/> by: these, for a node of the snapshot; for a what-if copy of it
        /// (with the pods nominated to it), a copy of these with the pods it has more or fewer counted in or out, as
        /// upstream's AddPod and RemovePod do.
        /// </summary>
        public Filtering For(NodeInfo node)
        {
            var known = snapshot.Node(node.Name);
            if (ReferenceEquals(known, node))
                return this;
            var changed = new Filtering(pod, snapshot)
            {
                ExistingAntiAffinity = ExistingAntiAffinity.Clone(),
                Affinity = Affinity.Clone(),
                AntiAffinity = AntiAffinity.Clone(),
                MatchesOwnAffinity = MatchesOwnAffinity,
            };
            foreach (var added in node.Pods)
            {
                if (known is null || !known.Has(added.Uid))
                    changed.Count(added, node, 1);
            }
            foreach (var removed in known?.Pods ?? [])
            {
                if (!node.Has(removed.Uid))
                    changed.Count(removed, node, -1);
            }
            return changed;
        }

        private void Count(PodInfo existing, NodeInfo node, int sign)
        {
            CountExisting(existing, node, sign);
            CountAffinity(existing, node, sign);
            var antiAffinity = pod.RequiredAntiAffinity;
            for (var i = 0; i < antiAffinity.Count; i++)
                CountAntiAffinity(antiAffinity[i], existing, node, sign);
        }
    }
}
