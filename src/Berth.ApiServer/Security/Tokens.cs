using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Berth.Core.Security;

namespace Berth.ApiServer.Security;

/// <summary>
/// The server's secrets that are not certificates: the join token agents present (<c>server/token</c>, in the
/// <see cref="JoinToken"/> format that carries the CA's hash) and the admin bearer token (<c>server/admin-token</c>).
/// Made on first start, reused afterwards. A join token file from before the hash was added (a bare secret), or
/// one whose hash names a CA that has since been replaced, is rewritten with the current CA's hash and the same
/// secret, so that whatever already holds the secret keeps working.
/// </summary>
public sealed class Tokens
{
    private Tokens(JoinToken join, string admin)
    {
        Join = join;
        Admin = admin;
    }

    public JoinToken Join { get; }

    public string Admin { get; }

    public static Tokens LoadOrCreate(string serverDir, X509Certificate2 ca) =>
        new(LoadOrCreateJoinToken(Path.Combine(serverDir, "token"), ca), LoadOrCreateToken(Path.Combine(serverDir, "admin-token")));

    private static JoinToken LoadOrCreateJoinToken(string path, X509Certificate2 ca)
    {
        var existing = File.Exists(path) ? JoinToken.Parse(File.ReadAllText(path)) : null;
        var token = existing is null ? JoinToken.Create(ca) : existing with { CaHash = JoinToken.HashOf(ca) };
        if (token != existing)
            WriteSecret(path, token.ToString());
        return token;
    }

    private static string LoadOrCreateToken(string path)
    {
        if (File.Exists(path))
            return File.ReadAllText(path).Trim();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        WriteSecret(path, token);
        return token;
    }

    private static void WriteSecret(string path, string token)
    {
        File.WriteAllText(path, token + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
