using System.Text;

namespace Usp.Agent.Hosting.Reboot;

/// <summary>
/// Keeps the next boot's cause in <c>&lt;data-dir&gt;/boot-cause</c>, two lines <c>Cause=…</c> and
/// <c>CommandKey=…</c>. The file is consumed at start, so a restart nobody asked for reads as LocalReboot.
/// </summary>
internal sealed class FileBootCauseStore : IBootCauseStore
{
    public const string FileName = "boot-cause";
    private readonly string _path;

    public FileBootCauseStore(string dataDir)
    {
        _path = Path.Combine(dataDir, FileName);
        CurrentBoot = Consume(_path);
    }

    public BootRecord CurrentBoot { get; }

    public void RecordNextBoot(BootRecord next)
    {
        string temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes($"Cause={next.Cause}\nCommandKey={next.CommandKey}\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private static BootRecord Consume(string path)
    {
        if (!File.Exists(path))
        {
            return BootRecord.Unrequested;
        }

        BootRecord record = Parse(File.ReadAllLines(path));
        File.Delete(path);
        return record;
    }

    private static BootRecord Parse(string[] lines)
    {
        BootCause cause = BootCause.LocalReboot;
        string commandKey = "";
        foreach (string line in lines)
        {
            if (line.StartsWith("Cause=", StringComparison.Ordinal) && Enum.TryParse(line.AsSpan(6), out BootCause parsed))
            {
                cause = parsed;
            }
            else if (line.StartsWith("CommandKey=", StringComparison.Ordinal))
            {
                commandKey = line[11..];
            }
        }

        return new BootRecord(cause, commandKey);
    }
}
