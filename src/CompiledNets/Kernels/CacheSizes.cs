using System;
using System.Globalization;
using System.IO;

namespace CompiledNets.Kernels;

/// <summary>
/// The data cache sizes the matrix products block for, read once from the machine: on Linux from
/// <c>/sys/devices/system/cpu/cpu0/cache/index*/</c> (level, type and size of each cache of the first core); elsewhere,
/// or when that cannot be read, a conservative default (<see cref="DefaultL2Bytes"/>), which blocks more than needed on a
/// larger cache but never too little.
/// </summary>
internal static class CacheSizes
{
    /// <summary>The L2 assumed when the machine does not say: 256 KB, smaller than any x64 or ARM64 server core's here.</summary>
    public const int DefaultL2Bytes = 256 * 1024;

    /// <summary>
    /// The per-core unified L2 in bytes. Not <c>readonly</c> so that tests can shrink it to reach the blocked paths on
    /// small matrices: blocking never changes a result (each element is summed over the same terms in the same order).
    /// </summary>
    internal static int L2Bytes = ReadL2() ?? DefaultL2Bytes;

    /// <summary>
    /// How many vectors of columns of B (the weights) one panel takes: as many as fit, with all <paramref name="k"/> rows,
    /// in half the L2 (the other half holds the rows of A, C and what else runs), in multiples of the 4-vector tile, at
    /// least one tile; all <paramref name="vectors"/> when B fits whole.
    /// </summary>
    public static int PanelVectors(int k, int width, int vectors)
    {
        long bytesPerVector = (long)Math.Max(k, 1) * width * sizeof(float);
        long fit = L2Bytes / 2 / bytesPerVector;
        if (fit >= vectors) return vectors;
        return (int)Math.Max(4, fit & ~3L);
    }

    private static int? ReadL2()
    {
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (!Directory.Exists(root)) return null;
            foreach (string index in Directory.GetDirectories(root, "index*"))
            {
                string level = File.ReadAllText(Path.Combine(index, "level")).Trim();
                string type = File.ReadAllText(Path.Combine(index, "type")).Trim();
                if (level != "2" || type is not ("Unified" or "Data")) continue;
                int? bytes = ParseSize(File.ReadAllText(Path.Combine(index, "size")));
                if (bytes is > 0) return bytes;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable (a sandbox, an odd kernel): fall back to the default.
        }
        return null;
    }

    /// <summary>"512K", "1024K", "2M" or a plain byte count, as sysfs writes cache sizes.</summary>
    internal static int? ParseSize(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        long multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, _ => 1 };
        string digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value * multiplier <= int.MaxValue
            ? (int)(value * multiplier)
            : null;
    }
}
