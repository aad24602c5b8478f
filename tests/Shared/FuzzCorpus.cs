namespace Usp.Tests.Support;

/// <summary>
/// The committed fuzz seeds in tests/corpus (hex, one input per line, '#' lines are names and comments) and the
/// iteration counts: the CI size, or the long size when USP_LONG_TESTS=1.
/// </summary>
internal static class FuzzCorpus
{
    public static bool Long => Environment.GetEnvironmentVariable("USP_LONG_TESTS") == "1";

    public static int Iterations(int ci, int longRun) => Long ? longRun : ci;

    public static byte[][] Load(string fileName)
    {
        string path = Path.Combine(RepoRoot(), "tests", "corpus", fileName);
        var seeds = File.ReadLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(Convert.FromHexString)
            .ToArray();
        if (seeds.Length == 0)
        {
            throw new InvalidDataException($"{path} holds no seeds");
        }

        return seeds;
    }

    /// <summary>One to four byte-level mutations: bit flips, random bytes, truncation, insertion, deletion.</summary>
    public static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int mutations = random.Next(1, 5);
        for (int m = 0; m < mutations; m++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when bytes.Count > 0: bytes[at] = (byte)random.Next(256); break;
                case 2 when bytes.Count > 0: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.Insert(at, (byte)random.Next(256)); break;
                case 4 when bytes.Count > 0: bytes.RemoveAt(at); break;
                default:
                    // Duplicate a slice: grows repeated fields and lengths past what the seed had.
                    int length = Math.Min(bytes.Count - at, random.Next(1, 16));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }

        return [.. bytes];
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Usp.Agent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Usp.Agent.sln not found above {AppContext.BaseDirectory}");
    }
}
