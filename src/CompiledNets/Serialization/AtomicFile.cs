using System;
using System.IO;

namespace CompiledNets.Serialization;

/// <summary>
/// Writes a file so that a crash or error part-way leaves the previous file intact: the bytes go to a temporary
/// file beside the target, are flushed to disk, and only then is the temporary file renamed over the target.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { /* best effort: the target is untouched either way */ }
            throw;
        }
    }
}
