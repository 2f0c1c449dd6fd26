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
}
