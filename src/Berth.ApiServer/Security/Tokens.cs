using System.Security.Cryptography;

namespace Berth.ApiServer.Security;

/// <summary>
/// The server's secrets that are not certificates: the join token agents present (<c>server/token</c>) and the
/// admin bearer token (<c>server/admin-token</c>). Made on first start, reused afterwards.
/// </summary>
public sealed class Tokens
{
    private Tokens(string join, string admin)
    {
        Join = join;
        Admin = admin;
    }

    public string Join { get; }

    public string Admin { get; }

    public static Tokens LoadOrCreate(string serverDir) =>
        new(LoadOrCreateToken(Path.Combine(serverDir, "token")), LoadOrCreateToken(Path.Combine(serverDir, "admin-token")));

    private static string LoadOrCreateToken(string path)
    {
        if (File.Exists(path))
            return File.ReadAllText(path).Trim();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, token + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
