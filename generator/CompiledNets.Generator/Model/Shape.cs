using System.Globalization;

namespace CompiledNets.Generator.Model;

/// <summary>
/// What one example looks like between two layers: an image of <see cref="Channels"/> × <see cref="Height"/> ×
/// <see cref="Width"/> values ([C, H, W] row-major), or a flat vector of <see cref="Width"/> values.
/// </summary>
internal readonly record struct Shape(int Channels, int Height, int Width, bool IsImage)
{
    public static Shape Flat(int width) => new(1, 1, width, false);

    public static Shape Image(int channels, int height, int width) => new(channels, height, width, true);

    /// <summary>Values per example (a long: the product of three ints can overflow an int).</summary>
    public long Size => (long)Channels * Height * Width;

    /// <summary>Pixels per channel.</summary>
    public int PixelsPerChannel => Height * Width;

    /// <summary>"1×28×28" for an image, "784" for a vector.</summary>
    public override string ToString() => IsImage
        ? string.Format(CultureInfo.InvariantCulture, "{0}×{1}×{2}", Channels, Height, Width)
        : Width.ToString(CultureInfo.InvariantCulture);
}
