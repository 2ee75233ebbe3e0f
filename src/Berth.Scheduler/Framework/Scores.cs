namespace Berth.Scheduler.Framework;

/// <summary>Upstream's usual normalisation: scores scaled so the highest becomes 100 (or, reversed, the lowest).</summary>
public static class Scores
{
    public static void Normalize(long[] scores, bool reverse)
    {
        var max = scores.Length == 0 ? 0 : scores.Max();
        for (var i = 0; i < scores.Length; i++)
        {
            if (max == 0)
            {
                scores[i] = reverse ? IScorePlugin.MaxScore : 0;
                continue;
            }
            var scaled = IScorePlugin.MaxScore * scores[i] / max;
            scores[i] = reverse ? IScorePlugin.MaxScore - scaled : scaled;
        }
    }
}
