using System.Globalization;

namespace CompiledNets.Generator.Emitting;

/// <summary>C# literals written with the invariant culture, whatever the build machine's locale.</summary>
internal static class Literals
{
    public static string Float(double value)
    {
        string text = ((float)value).ToString("R", CultureInfo.InvariantCulture);
        return text + "f";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A probability for a comment, as the float the code uses: 1 - 0.7 reads 0.3, not 0.30000000000000004.</summary>
    public static string Probability(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture);
}
