namespace Berth.Storage.Sqlite.Commands;

/// <summary>
/// Clears the history of up to <c>maxRevisions</c> revisions past the point compaction has reached: each row
/// in that range supersedes its previous row, which goes; deletion tombstones in it go too. The current value
/// of every key as of the compacted revision stays. Returns true while more remains.
/// </summary>
internal sealed class CompactStepCommand(int maxRevisions) : WriteCommand<bool>
{
    protected override bool Execute(WriteTransaction transaction)
    {
        var read = transaction.Prepare("SELECT value FROM meta WHERE name = 'compacted_through'");
        var from = (long)read.ExecuteScalar()!;
        var to = Math.Min(transaction.CompactRevision, from + maxRevisions);
        if (to <= from)
            return false;

        var superseded = transaction.Prepare("""
            DELETE FROM log WHERE revision IN
                (SELECT prev_revision FROM log WHERE revision > $from AND revision <= $to AND prev_revision != 0)
            """);
        superseded.Parameters[0].Value = from;
        superseded.Parameters[1].Value = to;
        superseded.ExecuteNonQuery();

        var tombstones = transaction.Prepare("DELETE FROM log WHERE revision > $from AND revision <= $to AND deleted = 1");
        tombstones.Parameters[0].Value = from;
        tombstones.Parameters[1].Value = to;
        tombstones.ExecuteNonQuery();

        var advance = transaction.Prepare("UPDATE meta SET value = $to WHERE name = 'compacted_through'");
        advance.Parameters[0].Value = to;
        advance.ExecuteNonQuery();
        return to < transaction.CompactRevision;
    }
}
