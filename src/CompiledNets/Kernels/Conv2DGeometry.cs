using System;

namespace CompiledNets.Kernels;

/// <summary>
/// The shape of one two-dimensional convolution, checked once: an input of <see cref="Channels"/> planes of
/// <see cref="Height"/> × <see cref="Width"/>, <see cref="Filters"/> square kernels of <see cref="KernelSize"/> moved by
/// <see cref="Stride"/>, zero padding <see cref="PadTop"/> above and <see cref="PadLeft"/> to the left, and an output of
/// <see cref="Filters"/> planes of <see cref="OutHeight"/> × <see cref="OutWidth"/>. The padding below and to the right
/// is implied by the output size (<see cref="PadBottom"/>, <see cref="PadRight"/>), as in TensorFlow's <c>Same</c>, whose
/// odd padding element goes to the bottom/right.
/// </summary>
/// <remarks>
/// Output element (f, oy, ox) sums the input at rows <c>oy · Stride − PadTop + ky</c> and columns
/// <c>ox · Stride − PadLeft + kx</c> for ky, kx in [0, KernelSize); positions outside the input read zero. A
/// <c>default</c> geometry is not valid: the kernels reject it (its <see cref="Channels"/> is 0).
/// </remarks>
public readonly struct Conv2DGeometry : IEquatable<Conv2DGeometry>
{
    /// <summary>Checks and stores a convolution's shape.</summary>
    /// <param name="channels">Input planes per example (at least 1).</param>
    /// <param name="height">Input rows (at least 1).</param>
    /// <param name="width">Input columns (at least 1).</param>
    /// <param name="filters">Output planes (at least 1).</param>
    /// <param name="kernelSize">Rows and columns of each kernel (at least 1).</param>
    /// <param name="stride">Step between windows, in both directions (at least 1).</param>
    /// <param name="padTop">Zero rows above the input, in [0, kernelSize).</param>
    /// <param name="padLeft">Zero columns left of the input, in [0, kernelSize).</param>
    /// <param name="outHeight">
    /// Output rows (at least 1): the last window must start inside the input,
    /// <c>(outHeight − 1) · stride − padTop &lt;= height − 1</c>, and end at most <c>kernelSize − 1</c> rows below it.
    /// </param>
    /// <param name="outWidth">Output columns, under the same rules as <paramref name="outHeight"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument breaks its rule (the exception names it), or the sizes do not fit in an int.</exception>
    public Conv2DGeometry(int channels, int height, int width, int filters, int kernelSize, int stride, int padTop, int padLeft,
        int outHeight, int outWidth)
    {
        KernelArguments.Positive(channels, nameof(channels));
        KernelArguments.Positive(height, nameof(height));
        KernelArguments.Positive(width, nameof(width));
        KernelArguments.Positive(filters, nameof(filters));
        KernelArguments.Positive(kernelSize, nameof(kernelSize));
        KernelArguments.Positive(stride, nameof(stride));
        if (padTop < 0 || padTop >= kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padTop), padTop, $"Must be in [0, kernelSize = {kernelSize}).");
        if (padLeft < 0 || padLeft >= kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padLeft), padLeft, $"Must be in [0, kernelSize = {kernelSize}).");
        CheckOutput(outHeight, height, kernelSize, stride, padTop, nameof(outHeight));
        CheckOutput(outWidth, width, kernelSize, stride, padLeft, nameof(outWidth));
        long inputSize = (long)channels * height * width;
        long patchSize = (long)channels * kernelSize * kernelSize;
        long spatial = (long)outHeight * outWidth;
        if (inputSize > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels × height × width does not fit in an array.");
        if (patchSize * filters > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(filters), filters, "The weights do not fit in an array.");
        if (spatial * Math.Max(filters, patchSize) > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(outHeight), outHeight, "The output (or its patch matrix) does not fit in an array.");

        Channels = channels;
        Height = height;
        Width = width;
        Filters = filters;
        KernelSize = kernelSize;
        Stride = stride;
        PadTop = padTop;
        PadLeft = padLeft;
        OutHeight = outHeight;
        OutWidth = outWidth;
    }

    /// <summary>
    /// TensorFlow's and Keras' <c>Valid</c> padding: no padding, <c>floor((in − kernelSize) / stride) + 1</c> outputs per
    /// direction (the rows and columns past the last window are not read).
    /// </summary>
    /// <param name="channels">Input planes per example.</param>
    /// <param name="height">Input rows (at least <paramref name="kernelSize"/>).</param>
    /// <param name="width">Input columns (at least <paramref name="kernelSize"/>).</param>
    /// <param name="filters">Output planes.</param>
    /// <param name="kernelSize">Rows and columns of each kernel.</param>
    /// <param name="stride">Step between windows.</param>
    /// <returns>The checked geometry.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the kernel is larger than the input.</exception>
    public static Conv2DGeometry Valid(int channels, int height, int width, int filters, int kernelSize, int stride = 1)
    {
        KernelArguments.Positive(kernelSize, nameof(kernelSize));
        KernelArguments.Positive(stride, nameof(stride));
        if (height < kernelSize) throw new ArgumentOutOfRangeException(nameof(height), height, $"Smaller than the kernel ({kernelSize}).");
        if (width < kernelSize) throw new ArgumentOutOfRangeException(nameof(width), width, $"Smaller than the kernel ({kernelSize}).");
        return new Conv2DGeometry(channels, height, width, filters, kernelSize, stride, 0, 0,
            (height - kernelSize) / stride + 1, (width - kernelSize) / stride + 1);
    }

    /// <summary>
    /// TensorFlow's and Keras' <c>Same</c> padding: <c>ceil(in / stride)</c> outputs per direction, total zero padding
    /// <c>max((out − 1) · stride + kernelSize − in, 0)</c>, half of it (rounded down) above/left, the rest below/right.
    /// </summary>
    /// <param name="channels">Input planes per example.</param>
    /// <param name="height">Input rows.</param>
    /// <param name="width">Input columns.</param>
    /// <param name="filters">Output planes.</param>
    /// <param name="kernelSize">Rows and columns of each kernel.</param>
    /// <param name="stride">Step between windows.</param>
    /// <returns>The checked geometry.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public static Conv2DGeometry Same(int channels, int height, int width, int filters, int kernelSize, int stride = 1)
    {
        KernelArguments.Positive(height, nameof(height));
        KernelArguments.Positive(width, nameof(width));
        KernelArguments.Positive(kernelSize, nameof(kernelSize));
        KernelArguments.Positive(stride, nameof(stride));
        int outHeight = (height + stride - 1) / stride, outWidth = (width + stride - 1) / stride;
        int padHeight = Math.Max((outHeight - 1) * stride + kernelSize - height, 0);
        int padWidth = Math.Max((outWidth - 1) * stride + kernelSize - width, 0);
        return new Conv2DGeometry(channels, height, width, filters, kernelSize, stride, padHeight / 2, padWidth / 2, outHeight, outWidth);
    }

    /// <summary>Input planes per example.</summary>
    public int Channels { get; }

    /// <summary>Input rows.</summary>
    public int Height { get; }

    /// <summary>Input columns.</summary>
    public int Width { get; }

    /// <summary>Output planes: one per kernel.</summary>
    public int Filters { get; }

    /// <summary>Rows and columns of each (square) kernel.</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows, in both directions.</summary>
    public int Stride { get; }

    /// <summary>Zero rows above the input.</summary>
    public int PadTop { get; }

    /// <summary>Zero columns left of the input.</summary>
    public int PadLeft { get; }

    /// <summary>Output rows.</summary>
    public int OutHeight { get; }

    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary>Zero rows below the input that the last row of windows reads: 0 when it ends inside the input.</summary>
    public int PadBottom => Math.Max((OutHeight - 1) * Stride + KernelSize - Height - PadTop, 0);

    /// <summary>Zero columns right of the input that the last column of windows reads: 0 when it ends inside the input.</summary>
    public int PadRight => Math.Max((OutWidth - 1) * Stride + KernelSize - Width - PadLeft, 0);

    /// <summary>Values per example of the input: <c>Channels · Height · Width</c>.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Values per example of the output: <c>Filters · OutHeight · OutWidth</c>.</summary>
    public int OutputSize => Filters * OutHeight * OutWidth;

    /// <summary>Output positions per plane: <c>OutHeight · OutWidth</c>.</summary>
    public int OutputPlaneSize => OutHeight * OutWidth;

    /// <summary>Values one window reads, and weights per filter: <c>Channels · KernelSize · KernelSize</c>.</summary>
    public int PatchSize => Channels * KernelSize * KernelSize;

    /// <summary>Weights of the layer, laid out [Filters, Channels, KernelSize, KernelSize]: <c>Filters · PatchSize</c>.</summary>
    public int WeightCount => Filters * PatchSize;

    /// <summary>Multiply-adds of the forward pass per example: <c>OutputSize · PatchSize</c>.</summary>
    public long MultiplyAddsPerExample => (long)OutputSize * PatchSize;

    /// <summary>Whether both geometries describe the same convolution.</summary>
    /// <param name="other">The geometry to compare with.</param>
    /// <returns><c>true</c> when every size, the stride and the padding agree.</returns>
    public bool Equals(Conv2DGeometry other) =>
        Channels == other.Channels && Height == other.Height && Width == other.Width && Filters == other.Filters &&
        KernelSize == other.KernelSize && Stride == other.Stride && PadTop == other.PadTop && PadLeft == other.PadLeft &&
        OutHeight == other.OutHeight && OutWidth == other.OutWidth;

    /// <summary>Whether <paramref name="obj"/> is a geometry equal to this one.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><c>true</c> when it is an equal <see cref="Conv2DGeometry"/>.</returns>
    public override bool Equals(object? obj) => obj is Conv2DGeometry other && Equals(other);

    /// <summary>A hash of every field.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(Channels, Height, Width, Filters, KernelSize), Stride, PadTop, PadLeft, OutHeight, OutWidth);

    /// <summary>Whether two geometries are equal.</summary>
    /// <param name="left">One geometry.</param>
    /// <param name="right">The other.</param>
    /// <returns><c>true</c> when they are equal.</returns>
    public static bool operator ==(Conv2DGeometry left, Conv2DGeometry right) => left.Equals(right);

    /// <summary>Whether two geometries differ.</summary>
    /// <param name="left">One geometry.</param>
    /// <param name="right">The other.</param>
    /// <returns><c>true</c> when they differ.</returns>
    public static bool operator !=(Conv2DGeometry left, Conv2DGeometry right) => !left.Equals(right);

    /// <summary>The shape in words, e.g. <c>"6×28×28 → 16×24×24, kernel 5, stride 1, pad 0/0"</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Channels}×{Height}×{Width} → {Filters}×{OutHeight}×{OutWidth}, kernel {KernelSize}, stride {Stride}, pad {PadTop}/{PadLeft}");

    /// <summary>Throws when this is <c>default</c> (never constructed, so never checked).</summary>
    internal void CheckInitialized(string paramName)
    {
        if (Channels == 0)
            throw new ArgumentException("The geometry was not constructed (it is default(Conv2DGeometry)).", paramName);
    }

    /// <summary>
    /// An output size must be at least 1, the last window must start inside the input (on a real row or column), and
    /// it must not need more than <c>kernelSize − 1</c> zeros past the end.
    /// </summary>
    private static void CheckOutput(int output, int input, int kernelSize, int stride, int padBefore, string paramName)
    {
        if (output < 1) throw new ArgumentOutOfRangeException(paramName, output, "Must be at least 1.");
        long lastStart = (long)(output - 1) * stride - padBefore;
        if (lastStart > input - 1)
            throw new ArgumentOutOfRangeException(paramName, output,
                $"The last window would start at {lastStart}, past the input's last index {input - 1}: the output is too large for input {input}, kernel {kernelSize}, stride {stride}, padding {padBefore}.");
    }
}
