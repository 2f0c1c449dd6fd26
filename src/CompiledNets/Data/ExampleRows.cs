using System;

namespace CompiledNets;

/// <summary>The length check shared by the data sets: a flat array must hold exactly one row of values per example.</summary>
internal static class ExampleRows
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> unless <paramref name="length"/> is
    /// <paramref name="examples"/> rows of <paramref name="width"/> values (<paramref name="what"/>: what the values are).
    /// </summary>
    public static void Check(int length, int examples, int width, string what, string paramName)
    {
        long expected = (long)examples * width;
        if (expected != length)
            throw new ArgumentException(
                $"{examples} examples need {expected} values of {width} {what}, but there are {length}.", paramName);
    }
}
