using System.Globalization;

namespace CompiledNets.Generator.Model;

/// <summary>FNV-1a over UTF-16 code units: the same text gives the same hash in every process and build.</summary>
internal static class StableHash
{
    public static string Of(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash ^= c;
            hash *= 16777619;
        }
        return hash.ToString("x8", CultureInfo.InvariantCulture);
    }
}
