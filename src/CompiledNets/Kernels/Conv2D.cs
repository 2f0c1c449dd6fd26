using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CompiledNets.Kernels;

/// <summary>
/// The forward and backward passes of a two-dimensional convolution over flat NCHW spans. Layouts, each example
/// row-major: input [batch, C, H, W], output [batch, F, OH, OW], weights [F, C, k, k] (PyTorch's layout), bias [F]; the
/// shape is a <see cref="Conv2DGeometry"/>.
/// </summary>
/// <remarks>
/// <para>
/// Stride 1 (the common case) runs on the grid of the padded input: output position (oy, ox) is grid index
/// <c>oy · W′ + ox</c> (W′ the padded width), and the input under weight (c, ky, kx) is then at a fixed offset from it, so
/// every product reads the input where it is and no patch matrix is built. When the filters fill 1 to 4 whole vectors
/// (16 or 32 filters with AVX-512, 8 to 32 with AVX2, 4 to 16 with 128-bit vectors) and each output sums at least 32
/// terms, the forward pass and the weight gradient keep the filters in the vector lanes: each input value is broadcast
/// against a vector of weights (forward) or of output gradients (weight gradient), and only the outputs are computed;
/// outputs and output gradients are transposed between [F, positions] and [positions, F] per example. Otherwise the
/// forward pass is the register-blocked product of the dense layers, <c>weights · input</c>, its inner terms walked
/// through the weights' offsets, and the weight gradient sums <c>dOutput[f, j] · input[offset(c, ky, kx) + j]</c> over the
/// grid in vector accumulators, 4 filters × 5 weights at a time (2 × 5 with 16 vector registers). The input gradient is
/// the product <c>weightsᵀ · dOutput</c> on the grid, each input position summing the rows of its channel at its position
/// less their offsets (or over the output positions themselves, folded row by row, where that takes fewer vectors).
/// Where each output row fits its vectors more closely than the grid (LeNet's conv1 with AVX2), the forward pass goes by
/// output rows instead (<see cref="ConvRows{TV, TS}"/>), the columns in the lanes. An output gradient that is mostly
/// zeros, as after max pooling, is scattered into the input gradient instead of multiplied
/// (<see cref="ConvScatterGradient{TV, TS}"/>), example by example where that is cheaper. The grid has <c>k − 1</c> columns per row that are not outputs: there they cost that share of the
/// work and are dropped, or are zero, which is exact as long as the other operand is finite (a grid weight gradient with a
/// non-finite input, or an input gradient with non-finite weights, takes the patch path below instead).
/// </para>
/// <para>
/// Padding is zeros that take part in the products, as in PyTorch: 0 · ∞ at a padded position gives NaN. Bias and
/// activation are applied to each example's outputs while they are in cache.
/// </para>
/// <para>
/// Other strides unfold each example's windows into a patch matrix (im2col) in a buffer of the thread and multiply it;
/// the input gradient folds the product back (col2im, adding where windows overlap). A 1 × 1 convolution with stride 1
/// and no padding multiplies the input in place. Buffers are allocated once per thread, then reused.
/// </para>
/// <para>
/// Threads: <c>threads</c> greater than 1 splits the examples between threads (capped at the processor count). The
/// forward pass and the input gradient compute each example the same way on any thread. The weight and bias gradients
/// are summed over the examples in a fixed number of parts decided by the batch size alone (up to
/// <see cref="ParameterParts"/>), each part summing its examples in order, and the parts are added in order; so results
/// are identical, bit for bit, for every thread count.
/// </para>
/// </remarks>
public static unsafe class Conv2D
{
    /// <summary>The most parts the weight gradient's sum over the batch is split into (one per example for smaller batches).</summary>
    public const int ParameterParts = 8;

    /// <summary>The most floats of weights laid out by grid offset (the forward pass's left operand) before a stride-1 convolution takes the patch path.</summary>
    private const long MaxSpreadWeights = 1 << 22;

    /// <summary>The fewest terms per output (C·k·k) for which the forward pass puts the filters in the vector lanes.</summary>
    private const int MinimumFilterVectorTerms = 32;

    /// <summary>The padded inputs and grid output gradients the weight gradient prepares at a time, per thread.</summary>
    private const int ChunkBytes = 256 * 1024;

    [ThreadStatic] private static float[]? t_patches;
    [ThreadStatic] private static float[]? t_padded;
    [ThreadStatic] private static float[]? t_grid;
    [ThreadStatic] private static float[]? t_product;
    [ThreadStatic] private static float[]? t_shared;
    [ThreadStatic] private static int[]? t_offsets;
    [ThreadStatic] private static float[]? t_example;

    /// <summary><c>output = activation(convolution(input, weights) + bias)</c>.</summary>
    /// <param name="output">[batch, F, OH, OW].</param>
    /// <param name="input">[batch, C, H, W].</param>
    /// <param name="weights">[F, C, k, k].</param>
    /// <param name="bias">[F].</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="geometry">The convolution's shape.</param>
    /// <param name="activation">Applied to each output: <see cref="Activation.None"/>, ReLU, Tanh, Sigmoid or SELU.</param>
    /// <param name="threads">Threads to split the examples between (at least 1).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), or the geometry is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative, <paramref name="threads"/> below 1, or the activation unknown.</exception>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, Conv2DGeometry geometry, Activation activation = Activation.None, int threads = 1)
        => Forward(Simd.Level, output, input, weights, bias, batch, geometry, activation, threads);

    /// <summary>
    /// Inference: <c>pooled = maxpool(activation(convolution(input, weights) + bias))</c>, each example's convolution
    /// pooled while it is in cache and never stored. The values equal those of <see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, Activation, int)"/>
    /// followed by <see cref="MaxPool2D.Forward(Span{float}, Span{int}, ReadOnlySpan{float}, int, int, int, int, int, int, int, int)"/>,
    /// bit for bit; no winners are recorded, so there is nothing for a backward pass to read.
    /// </summary>
    /// <param name="pooled">[batch, F, PH, PW]: PH = (OH − poolSize) / poolStride + 1, PW likewise.</param>
    /// <param name="input">[batch, C, H, W].</param>
    /// <param name="weights">[F, C, k, k].</param>
    /// <param name="bias">[F].</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="geometry">The convolution's shape.</param>
    /// <param name="activation">Applied to each convolution output before pooling.</param>
    /// <param name="poolSize">Rows and columns of each pooling window.</param>
    /// <param name="poolStride">Step between pooling windows.</param>
    /// <param name="threads">Threads to split the examples between (at least 1).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), or the geometry is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or the pooling window is larger than the convolution's output.</exception>
    public static void ForwardMaxPool(Span<float> pooled, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, Conv2DGeometry geometry, Activation activation, int poolSize, int poolStride, int threads = 1)
        => ForwardMaxPool(Simd.Level, pooled, input, weights, bias, batch, geometry, activation, poolSize, poolStride, threads);

    /// <summary>
    /// <c>dWeights = Σ_b dOutput_b ⋆ input_b</c> and <c>dBias = Σ_b Σ_positions dOutput_b</c>, overwriting both.
    /// </summary>
    /// <param name="dWeights">[F, C, k, k].</param>
    /// <param name="dBias">[F].</param>
    /// <param name="dOutput">[batch, F, OH, OW]: the gradient with respect to the pre-activation (the caller has applied the activation's derivative).</param>
    /// <param name="input">[batch, C, H, W]: the layer's input in the forward pass.</param>
    /// <param name="batch">Examples (0 or more; 0 gives zero gradients).</param>
    /// <param name="geometry">The convolution's shape.</param>
    /// <param name="threads">Threads to split the examples between (at least 1).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), or the geometry is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative or <paramref name="threads"/> below 1.</exception>
    public static void BackwardParameters(Span<float> dWeights, Span<float> dBias, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input,
        int batch, Conv2DGeometry geometry, int threads = 1)
        => BackwardParameters(Simd.Level, dWeights, dBias, dOutput, input, batch, geometry, threads);

    /// <summary><c>dInput = transposed convolution of dOutput with weights</c>: the gradient with respect to the layer's input, overwritten.</summary>
    /// <param name="dInput">[batch, C, H, W].</param>
    /// <param name="dOutput">[batch, F, OH, OW]: the gradient with respect to the pre-activation.</param>
    /// <param name="weights">[F, C, k, k].</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="geometry">The convolution's shape.</param>
    /// <param name="threads">Threads to split the examples between (at least 1).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), or the geometry is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative or <paramref name="threads"/> below 1.</exception>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, Conv2DGeometry geometry, int threads = 1)
        => BackwardInput(Simd.Level, dInput, dOutput, weights, batch, geometry, threads);

    /// <summary>
    /// <see cref="BackwardParameters(Span{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, int)"/>
    /// of a convolution whose output a max pooling read, from the pooling's gradient (and through the convolution's ReLU
    /// when <paramref name="relu"/>): the output gradient is zero but at the windows' maxima, so the weight gradient sums
    /// only the pooling's outputs, each times the input under its maximum's window (for a stride-1 unpadded convolution
    /// whose kernel rows fit in a vector, a finite input and maxima inside their own filter's plane; otherwise the
    /// pooling's backward pass into <paramref name="dOutput"/> and the dense weight gradient).
    /// </summary>
    /// <param name="dWeights">[F, C, k, k].</param>
    /// <param name="dBias">[F].</param>
    /// <param name="dOutput">[batch, F, OH, OW]: scratch for the other path (its contents are not defined afterwards).</param>
    /// <param name="dPooled">[batch, F, poolHeight, poolWidth]: the gradient with respect to the pooling's output.</param>
    /// <param name="argmax">[batch, F, poolHeight, poolWidth]: the pooling's maxima, indices into an example's [F, OH, OW].</param>
    /// <param name="pooled">[batch, F, poolHeight, poolWidth]: the pooling's output (read when <paramref name="relu"/>).</param>
    /// <param name="relu">Whether the convolution's activation is ReLU (the gradient then passes where the maximum is positive).</param>
    /// <param name="input">[batch, C, H, W]: the layer's input in the forward pass.</param>
    /// <param name="batch">Examples (0 or more).</param>
    /// <param name="geometry">The convolution's shape.</param>
    /// <param name="poolHeight">Rows of the pooling's output.</param>
    /// <param name="poolWidth">Columns of the pooling's output.</param>
    /// <param name="threads">Threads for the other path (at least 1).</param>
    /// <exception cref="ArgumentException">A span is too short (the exception names it), an index is outside its example, or the geometry is <c>default</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public static void BackwardParametersThroughMaxPool(Span<float> dWeights, Span<float> dBias, Span<float> dOutput,
        ReadOnlySpan<float> dPooled, ReadOnlySpan<int> argmax, ReadOnlySpan<float> pooled, bool relu, ReadOnlySpan<float> input,
        int batch, Conv2DGeometry geometry, int poolHeight, int poolWidth, int threads = 1)
        => BackwardParametersThroughMaxPool(Simd.Level, dWeights, dBias, dOutput, dPooled, argmax, pooled, relu, input, batch, geometry,
            poolHeight, poolWidth, threads);

    internal static void BackwardParametersThroughMaxPool(SimdLevel level, Span<float> dWeights, Span<float> dBias, Span<float> dOutput,
        ReadOnlySpan<float> dPooled, ReadOnlySpan<int> argmax, ReadOnlySpan<float> pooled, bool relu, ReadOnlySpan<float> input,
        int batch, Conv2DGeometry geometry, int poolHeight, int poolWidth, int threads)
    {
        CheckShape(batch, geometry, threads);
        KernelArguments.Positive(poolHeight, nameof(poolHeight));
        KernelArguments.Positive(poolWidth, nameof(poolWidth));
        long pooledSize = (long)geometry.Filters * poolHeight * poolWidth;
        KernelArguments.Length(dWeights.Length, geometry.WeightCount, nameof(dWeights));
        KernelArguments.Length(dBias.Length, geometry.Filters, nameof(dBias));
        KernelArguments.Length(dOutput.Length, (long)batch * geometry.OutputSize, nameof(dOutput));
        KernelArguments.Length(dPooled.Length, batch * pooledSize, nameof(dPooled));
        KernelArguments.Length(argmax.Length, batch * pooledSize, nameof(argmax));
        if (relu) KernelArguments.Length(pooled.Length, batch * pooledSize, nameof(pooled));
        KernelArguments.Length(input.Length, (long)batch * geometry.InputSize, nameof(input));
        if (batch > 0 && PooledGradient(level, dWeights, dBias, dPooled, argmax, pooled, relu, input, batch, geometry, poolHeight * poolWidth))
            return;
        if (relu) MaxPool2D.BackwardThroughReLU(dOutput, dPooled, argmax, pooled, batch, geometry.Filters, geometry.OutHeight, geometry.OutWidth, poolHeight, poolWidth);
        else MaxPool2D.Backward(dOutput, dPooled, argmax, batch, geometry.Filters, geometry.OutHeight, geometry.OutWidth, poolHeight, poolWidth);
        BackwardParameters(level, dWeights, dBias, dOutput, input, batch, geometry, threads);
    }

    [ThreadStatic] private static int[]? t_map;

    /// <summary>The sums over the pooling's outputs (<see cref="ConvPooledGradient{TV, TS}"/>) where they apply; false otherwise.</summary>
    private static bool PooledGradient(SimdLevel level, Span<float> dWeights, Span<float> dBias, ReadOnlySpan<float> dPooled,
        ReadOnlySpan<int> argmax, ReadOnlySpan<float> pooled, bool relu, ReadOnlySpan<float> input, int batch, in Conv2DGeometry g, int pooledPlane)
    {
        // 256-bit vectors at the 512-bit level too: a kernel row is at most 6 values, and a 64-byte load of one nearly always
        // spans two cache lines (LeNet's conv1 took 1.4 times as long with them).
        bool applies = level switch
        {
            SimdLevel.Vector512 or SimdLevel.Vector256 => ConvPooledGradient<Vector256<float>, Simd256>.Applies(g),
            SimdLevel.Vector128 => ConvPooledGradient<Vector128<float>, Simd128>.Applies(g),
            _ => false,
        };
        // The dense sum meets every input (0 · ∞ is NaN there): only a finite input may leave the other positions out.
        if (!applies || !Checks.AllFinite(input.Slice(0, batch * g.InputSize))) return false;
        fixed (float* dw = dWeights, db = dBias, dp = dPooled, maxima = pooled, x = input)
        fixed (int* at = argmax, map = ThreadBuffers.Ints(ref t_map, g.OutputPlaneSize, 256))
        fixed (float* rows = Scratch(ref t_product, (long)g.Filters * g.Channels * g.KernelSize * 16), gradients = Scratch(ref t_grid, pooledPlane))
        {
            float* positive = relu ? maxima : null;
            return level switch
            {
                SimdLevel.Vector512 or SimdLevel.Vector256 => ConvPooledGradient<Vector256<float>, Simd256>.Run(dw, db, rows, map, gradients, dp, at, positive, x, batch, g, pooledPlane),
                _ => ConvPooledGradient<Vector128<float>, Simd128>.Run(dw, db, rows, map, gradients, dp, at, positive, x, batch, g, pooledPlane),
            };
        }
    }

    /// <summary>How a pass computes: the input as its own patch matrix, on the grid, or through a patch matrix.</summary>
    internal enum Method : byte { Pointwise, Grid, FilterVectors, Patches, OutputRows }

    /// <summary>The method each pass takes for <paramref name="g"/> at <paramref name="level"/> (when its operands are finite): for tests and probes.</summary>
    internal static (Method Forward, Method WeightGradient, Method InputGradient) Methods(in Conv2DGeometry g, SimdLevel level)
    {
        if (Pointwise(g)) return (Method.Pointwise, Method.Grid, Method.Pointwise);
        if (!GridShape.Applies(g)) return (Method.Patches, Method.Patches, Method.Patches);
        // With the filters in the lanes nothing is computed past the outputs: the forward pass and the weight gradient go
        // that way when the filters fill 1 to 4 whole vectors (with more, each broadcast input serves too little work: 16 →
        // 32 filters of 3 × 3 on 128-bit vectors took 1.2 and 2.1 times as long) and each output sums enough terms for the
        // transposes to be a small share (LeNet's 6 → 16 filters of 5 × 5 at batch 128 on AVX-512: forward 307 → 219 µs,
        // weight gradient 327 → 212 µs; 1 → 16 filters of 3 × 3: forward 300 → 384 µs, so not there).
        int width = Lanes(level);
        Method input = OutputRowsCheaper(g, level, width) ? Method.OutputRows : Method.Grid;
        if (width > 0 && g.Filters % width == 0 && g.Filters <= 4 * width && g.PatchSize >= MinimumFilterVectorTerms)
            return (Method.FilterVectors, Method.FilterVectors, input);
        if (ForwardRowsCheaper(g, width)) return (Method.OutputRows, Method.Grid, input);
        bool spread = (long)g.Filters * new GridShape(g).OffsetSpan(g) <= MaxSpreadWeights;
        return (spread ? Method.Grid : Method.Patches, Method.Grid, input);
    }

    /// <summary>Floats per vector at <paramref name="level"/> (0 without vectors).</summary>
    private static int Lanes(SimdLevel level) => level switch { SimdLevel.Vector512 => 16, SimdLevel.Vector256 => 8, SimdLevel.Vector128 => 4, _ => 0 };

    /// <summary>
    /// Whether the forward pass takes fewer vectors of outputs by output rows (<see cref="ConvRows{TV, TS}"/>: each row in
    /// whole vectors, a narrow row wasting lanes) than on the grid (its positions as one row, the <c>k − 1</c> columns
    /// past each row's outputs included). LeNet's conv1 (24 × 24 outputs, grid rows of 28): 72 against 84 vectors with
    /// AVX2, 48 against 42 with AVX-512 (so the grid there).
    /// </summary>
    private static bool ForwardRowsCheaper(in Conv2DGeometry g, int width)
    {
        if (width == 0) return false;
        long rows = (long)g.OutHeight * ((g.OutWidth + width - 1) / width);
        return rows < (new GridShape(g).Positions + width - 1) / width;
    }

    /// <summary>
    /// Whether the input gradient costs fewer vector operations as the product over the output positions themselves,
    /// folded row by row (<see cref="ConvRowFold"/>), than on the grid: the product then has no columns past the
    /// outputs, but each input row is folded in vectors of its own (a narrow row wastes lanes). LeNet's conv2
    /// (6 × 12 × 12 → 16 × 8 × 8, kernel 5) per example: 19,200 multiply-adds and 2,160 vector loads against 28,800 and
    /// 2,700 on the grid with AVX2.
    /// </summary>
    private static bool OutputRowsCheaper(in Conv2DGeometry g, SimdLevel level, int width)
    {
        if (width == 0 || g.KernelSize == 1) return false;
        var grid = new GridShape(g);
        long rows = (long)g.PatchSize * g.Filters * ((g.OutputPlaneSize + width - 1) / width) + ConvRowFold.Loads(g, width);
        long onGrid = (long)g.PatchSize * g.Filters * ((grid.Positions + width - 1) / width)
            + (long)g.PatchSize * ((grid.PlaneSize + width - 1) / width);
        return rows < onGrid;
    }

    /// <summary><see cref="Forward(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, Activation, int)"/> at a chosen vector level (for tests; the level must be supported).</summary>
    internal static void Forward(SimdLevel level, Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, Conv2DGeometry geometry, Activation activation, int threads)
    {
        CheckShape(batch, geometry, threads);
        KernelArguments.Length(output.Length, (long)batch * geometry.OutputSize, nameof(output));
        fixed (float* y = output)
            Forward(level, y, default, input, weights, bias, batch, geometry, activation, threads);
    }

    /// <summary><see cref="ForwardMaxPool(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, Activation, int, int, int)"/> at a chosen vector level.</summary>
    internal static void ForwardMaxPool(SimdLevel level, Span<float> pooled, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, Conv2DGeometry geometry, Activation activation, int poolSize, int poolStride, int threads)
    {
        CheckShape(batch, geometry, threads);
        KernelArguments.Positive(poolSize, nameof(poolSize));
        KernelArguments.Positive(poolStride, nameof(poolStride));
        if (poolSize > geometry.OutHeight || poolSize > geometry.OutWidth)
            throw new ArgumentOutOfRangeException(nameof(poolSize), poolSize, $"The window is larger than the convolution's {geometry.OutHeight}×{geometry.OutWidth} output.");
        var pool = new Pooling
        {
            Size = poolSize, Stride = poolStride,
            OutHeight = (geometry.OutHeight - poolSize) / poolStride + 1, OutWidth = (geometry.OutWidth - poolSize) / poolStride + 1,
        };
        KernelArguments.Length(pooled.Length, (long)batch * geometry.Filters * pool.OutHeight * pool.OutWidth, nameof(pooled));
        fixed (float* y = pooled)
        {
            pool.Output = y;
            Forward(level, null, pool, input, weights, bias, batch, geometry, activation, threads);
        }
    }

    /// <summary>Max pooling after the convolution (<see cref="Output"/> null: none), for <see cref="ForwardMaxPool(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, Activation, int, int, int)"/>.</summary>
    private struct Pooling
    {
        /// <summary>[batch, F, OutHeight, OutWidth].</summary>
        public float* Output;
        public int Size, Stride, OutHeight, OutWidth;
    }

    /// <summary>The forward pass into <paramref name="y"/> [batch, F, OH, OW], or, with <paramref name="pool"/>, pooled into its output.</summary>
    private static void Forward(SimdLevel level, float* y, Pooling pool, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, Conv2DGeometry geometry, Activation activation, int threads)
    {
        KernelArguments.Length(input.Length, (long)batch * geometry.InputSize, nameof(input));
        KernelArguments.Length(weights.Length, geometry.WeightCount, nameof(weights));
        KernelArguments.Length(bias.Length, geometry.Filters, nameof(bias));
        KernelArguments.CheckActivation(activation);
        if (batch == 0) return;
        Method method = Methods(geometry, level).Forward;
        bool onGrid = method is Method.Grid or Method.FilterVectors or Method.OutputRows;
        var grid = onGrid ? new GridShape(geometry) : default;
        int span = method == Method.Grid ? grid.OffsetSpan(geometry) : 0;
        long shared = method == Method.Grid ? (long)geometry.Filters * span : method == Method.FilterVectors ? geometry.WeightCount : 0;
        fixed (float* x = input, w = weights, b = bias)
        fixed (float* spread = shared > 0 ? Scratch(ref t_shared, shared) : null)
        fixed (int* offsets = method is Method.Grid or Method.FilterVectors ? Offsets(geometry.PatchSize) : null)
        {
            var state = new State
            {
                Output = y, Input = x, Weights = w, Bias = b, Batch = batch, Geometry = geometry, Activation = activation,
                Level = level, Method = method, Grid = grid, Offsets = offsets, Pool = pool,
            };
            if (offsets != null) grid.Offsets(offsets, geometry);
            if (method == Method.FilterVectors)
            {
                // Transposed, [C·k·k, F]: each weight's filters side by side, a vector of them per load.
                Transpose.Run(w, geometry.PatchSize, spread, geometry.Filters, geometry.Filters, geometry.PatchSize);
                state.Weights = spread;
            }
            else if (method == Method.Grid)
            {
                // The weights laid out by offset: column offset(p) of row f holds weight (f, p); the other columns are never read.
                int patch = geometry.PatchSize;
                for (int f = 0; f < geometry.Filters; f++)
                    for (int p = 0; p < patch; p++)
                        spread[(long)f * span + offsets[p]] = w[(long)f * patch + p];
                state.Weights = spread;
                state.WeightStride = span;
            }
            RunExamples(ref state, threads, &Part<ForwardPass>);
        }
    }

    /// <summary><see cref="BackwardInput(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, int)"/> at a chosen vector level.</summary>
    internal static void BackwardInput(SimdLevel level, Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, Conv2DGeometry geometry, int threads)
    {
        CheckShape(batch, geometry, threads);
        KernelArguments.Length(dInput.Length, (long)batch * geometry.InputSize, nameof(dInput));
        KernelArguments.Length(dOutput.Length, (long)batch * geometry.OutputSize, nameof(dOutput));
        KernelArguments.Length(weights.Length, geometry.WeightCount, nameof(weights));
        if (batch == 0) return;
        int k = geometry.PatchSize, f = geometry.Filters;
        Method method = Methods(geometry, level).InputGradient;
        // The grid's positions that are not outputs are zero in dOutput's grid; their products stay zero only with finite weights.
        if (method == Method.Grid && !Checks.AllFinite(weights.Slice(0, geometry.WeightCount))) method = Method.Patches;
        // The product multiplies by weightsᵀ [C·k·k, F] row by row: transposed once, shared by the threads.
        // Over the output rows, the filters whose whole output gradient is zero (a channel spatial dropout dropped) are
        // left out of the product, and a sparse output gradient (after max pooling) may be scattered instead: both exact
        // with finite weights only (0 · ∞ is NaN).
        bool skipZeros = method == Method.OutputRows && Checks.AllFinite(weights.Slice(0, geometry.WeightCount));
        long scatterRows = skipZeros ? ScatterRowsLength(level, geometry) : 0;
        fixed (float* dx = dInput, dy = dOutput, w = weights, wt = Scratch(ref t_shared, (long)k * f))
        fixed (float* rows = scatterRows > 0 ? Scratch(ref t_scatterRows, scatterRows) : null)
        fixed (int* offsets = method == Method.Grid ? Offsets(k) : null)
        {
            Transpose.Run(w, k, wt, f, f, k);
            var state = new State
            {
                Output = dy, Input = dx, Weights = wt, Batch = batch, Geometry = geometry, Level = level, Method = method,
                SkipZeros = skipZeros, ScatterRows = rows,
            };
            if (rows != null) PrepareScatterRows(level, rows, w, geometry);
            if (method == Method.Grid)
            {
                state.Grid = new GridShape(geometry);
                state.Grid.Offsets(offsets, geometry);
                state.Offsets = offsets;
            }
            RunExamples(ref state, threads, &Part<InputGradientPass>);
        }
    }

    [ThreadStatic] private static float[]? t_scatterRows;
    [ThreadStatic] private static float[]? t_scatterGrid;
    [ThreadStatic] private static float[]? t_scatterTransposed;
    [ThreadStatic] private static int[]? t_scatterFilters;
    [ThreadStatic] private static int[]? t_scatterCounts;

    /// <summary>Floats of the kernel rows <see cref="ConvScatterGradient{TV, TS}"/> reads at <paramref name="level"/>, or 0 where it does not apply.</summary>
    private static long ScatterRowsLength(SimdLevel level, in Conv2DGeometry g) => level switch
    {
        SimdLevel.Vector512 or SimdLevel.Vector256 when ConvScatterGradient<Vector256<float>, Simd256>.Applies(g) => ConvScatterGradient<Vector256<float>, Simd256>.RowsLength(g),
        SimdLevel.Vector128 when ConvScatterGradient<Vector128<float>, Simd128>.Applies(g) => ConvScatterGradient<Vector128<float>, Simd128>.RowsLength(g),
        _ => 0,
    };

    /// <summary>
    /// For tests: one example's input gradient scattered at <paramref name="level"/> (<see cref="ConvScatterGradient{TV, TS}"/>),
    /// or false, with <paramref name="dInput"/> untouched, where the kernel does not apply or declines (a non-finite or
    /// too dense output gradient).
    /// </summary>
    internal static bool ScatterExample(SimdLevel level, Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights, Conv2DGeometry g)
    {
        long rowsLength = ScatterRowsLength(level, g);
        // As in BackwardInput: a left-out zero gradient would hide 0 · ∞ with non-finite weights.
        if (rowsLength == 0 || !Checks.AllFinite(weights.Slice(0, g.WeightCount))) return false;
        // 256-bit vectors at the 512-bit level too (as VectorImageOps.ScatterWidth).
        int width = Math.Min(Lanes(level), 8), stride = ConvScatterGradient.FilterStride(g, width);
        float[] rows = new float[rowsLength], grid = new float[ConvScatterGradient.GridLength(g, width)];
        float[] transposed = new float[g.OutputPlaneSize * stride];
        int[] filters = new int[g.OutputPlaneSize * stride + width], counts = new int[g.OutputPlaneSize];
        fixed (float* dx = dInput, dy = dOutput, w = weights, r = rows, t = transposed, grd = grid)
        fixed (int* f = filters, c = counts)
        {
            PrepareScatterRows(level, r, w, g);
            var job = new ScatterGradientJob
            {
                Dx = dx, Dy = dy, Rows = r, Transposed = t, Filters = f, Counts = c, Grid = grd, Geometry = g,
                ProductWidth = Lanes(level),
            };
            return level switch
            {
                SimdLevel.Vector512 or SimdLevel.Vector256 => ConvScatterGradient<Vector256<float>, Simd256>.Run(job),
                _ => ConvScatterGradient<Vector128<float>, Simd128>.Run(job),
            };
        }
    }

    private static void PrepareScatterRows(SimdLevel level, float* rows, float* weights, in Conv2DGeometry g)
    {
        switch (level)
        {
            case SimdLevel.Vector512 or SimdLevel.Vector256: ConvScatterGradient<Vector256<float>, Simd256>.PrepareWeights(rows, weights, g); break;
            default: ConvScatterGradient<Vector128<float>, Simd128>.PrepareWeights(rows, weights, g); break;
        }
    }

    /// <summary><see cref="BackwardParameters(Span{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, Conv2DGeometry, int)"/> at a chosen vector level.</summary>
    internal static void BackwardParameters(SimdLevel level, Span<float> dWeights, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, int batch, Conv2DGeometry geometry, int threads)
    {
        CheckShape(batch, geometry, threads);
        KernelArguments.Length(dWeights.Length, geometry.WeightCount, nameof(dWeights));
        KernelArguments.Length(dBias.Length, geometry.Filters, nameof(dBias));
        KernelArguments.Length(dOutput.Length, (long)batch * geometry.OutputSize, nameof(dOutput));
        KernelArguments.Length(input.Length, (long)batch * geometry.InputSize, nameof(input));
        int weightCount = geometry.WeightCount, filters = geometry.Filters;
        if (batch == 0)
        {
            dWeights.Slice(0, weightCount).Clear();
            dBias.Slice(0, filters).Clear();
            return;
        }
        Method method = Methods(geometry, level).WeightGradient;
        bool sparseApplies = SparseGradientApplies(level, geometry);
        // (With the filters in the lanes nothing else depends on it.)
        bool finite = (method != Method.FilterVectors || sparseApplies) && Checks.AllFinite(input.Slice(0, batch * geometry.InputSize));
        // The grid's positions that are not outputs read the input against zero gradients: exact only for a finite input.
        if (!finite && method == Method.Grid) method = Method.Patches;
        int parts = Math.Min(batch, ParameterParts);
        // Part 0 sums into dWeights and dBias; parts 1.. into their own slices of the shared buffer, added at the end.
        long stride = weightCount + filters;
        fixed (float* dw = dWeights, db = dBias, dy = dOutput, x = input, partial = Scratch(ref t_shared, (parts - 1) * stride))
        fixed (int* offsets = method == Method.Grid ? Offsets(geometry.PatchSize) : null)
        {
            var state = new State
            {
                Output = dy, Input = x, Weights = dw, Bias = db, Partial = partial, Batch = batch, Geometry = geometry, Level = level,
                Method = method,
                // The patch path's product skips the positions where every filter's gradient is zero, and a sparse output
                // gradient may be summed over its non-zero values alone: both exact for a finite input only.
                SkipZeros = finite,
                SparseApplies = sparseApplies && finite,
                SparseGradient = sparseApplies && finite && SparseGradientCheaper(level, dy, batch, geometry),
            };
            if (method is Method.Grid or Method.FilterVectors) state.Grid = new GridShape(geometry);
            if (method == Method.Grid)
            {
                state.Grid.Offsets(offsets, geometry);
                state.Offsets = offsets;
            }
            bool split = threads > 1 && (long)batch * geometry.MultiplyAddsPerExample >= Gemm.MinimumSplitWork;
            if (split) Workers.Run(threads, parts, &Part<WeightGradientPass>, &state);
            else
                for (int part = 0; part < parts; part++) Part<WeightGradientPass>(&state, part, parts);
            for (int part = 1; part < parts; part++)
            {
                float* slice = partial + (part - 1) * stride;
                TensorPrimitives.Add(dWeights.Slice(0, weightCount), new ReadOnlySpan<float>(slice, weightCount), dWeights.Slice(0, weightCount));
                TensorPrimitives.Add(dBias.Slice(0, filters), new ReadOnlySpan<float>(slice + weightCount, filters), dBias.Slice(0, filters));
            }
        }
    }

    /// <summary>What a part of a pass needs: raw pointers, so that it can be handed to helper threads without allocating.</summary>
    private struct State
    {
        /// <summary>Forward: the output; backward: dOutput.</summary>
        public float* Output;
        /// <summary>Forward and weight gradient: the input; input gradient: dInput.</summary>
        public float* Input;
        /// <summary>
        /// Forward: the weights (on the grid: laid out by offset, rows <see cref="WeightStride"/> apart); input gradient:
        /// the transposed weights; weight gradient: dWeights.
        /// </summary>
        public float* Weights;
        public nint WeightStride;
        /// <summary>Forward: the bias; weight gradient: dBias.</summary>
        public float* Bias;
        /// <summary>Weight gradient: the sums of parts 1.., each [weights, then bias].</summary>
        public float* Partial;
        /// <summary>On the grid: the offset of each weight.</summary>
        public int* Offsets;
        public int Batch;
        public Conv2DGeometry Geometry;
        public GridShape Grid;
        public Activation Activation;
        public SimdLevel Level;
        public Method Method;
        public bool SkipZeros;
        /// <summary>Forward: pooling after the convolution (when its output is set; <see cref="Output"/> is then unused).</summary>
        public Pooling Pool;
        /// <summary>Input gradient over the output rows: the kernel rows for scattering a sparse output gradient (null: never scatter).</summary>
        public float* ScatterRows;
        /// <summary>Weight gradient: summed over the output gradient's non-zero values alone (<see cref="ConvSparseFilterGradient{TV, TS}"/>).</summary>
        public bool SparseGradient;
        /// <summary>Weight gradient: whether some batch could take <see cref="SparseGradient"/> (its buffers are then allocated either way).</summary>
        public bool SparseApplies;
    }

    /// <summary>Runs <paramref name="body"/> over the examples, split into parts between threads when there is enough work.</summary>
    private static void RunExamples(ref State state, int threads, delegate*<void*, int, int, void> body)
    {
        long work = state.Batch * state.Geometry.MultiplyAddsPerExample;
        int parts = threads <= 1 || work < Gemm.MinimumSplitWork
            ? 1
            : Math.Min(state.Batch, 4 * Math.Min(threads, KernelThreads.Available));
        fixed (State* s = &state)
        {
            if (parts == 1) body(s, 0, 1);
            else Workers.Run(threads, parts, body, s);
        }
    }

    private static (int First, int Last) Examples(int batch, int part, int parts) =>
        ((int)((long)batch * part / parts), (int)((long)batch * (part + 1) / parts));

    /// <summary>One pass over examples [first, last), with the operations of a vector level given as a type.</summary>
    private interface IPass
    {
        static abstract void Run<TO>(ref State s, int part, int first, int last) where TO : IImageOps;
    }

    private readonly struct ForwardPass : IPass
    {
        public static void Run<TO>(ref State s, int part, int first, int last) where TO : IImageOps => Forward<TO>(ref s, first, last);
    }

    private readonly struct InputGradientPass : IPass
    {
        public static void Run<TO>(ref State s, int part, int first, int last) where TO : IImageOps => BackwardInput<TO>(ref s, first, last);
    }

    /// <summary>Part 0 sums into dWeights and dBias, part n ≥ 1 into slice n − 1 of the partial sums.</summary>
    private readonly struct WeightGradientPass : IPass
    {
        public static void Run<TO>(ref State s, int part, int first, int last) where TO : IImageOps
        {
            float* dw = s.Weights, db = s.Bias;
            if (part > 0)
            {
                dw = s.Partial + (part - 1) * (long)(s.Geometry.WeightCount + s.Geometry.Filters);
                db = dw + s.Geometry.WeightCount;
            }
            Parameters<TO>(ref s, first, last, dw, db);
        }
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of a pass (whole examples), at the state's vector level.</summary>
    private static void Part<TP>(void* state, int part, int parts) where TP : IPass
    {
        ref State s = ref *(State*)state;
        (int first, int last) = Examples(s.Batch, part, parts);
        switch (s.Level)
        {
            case SimdLevel.Vector512: TP.Run<VectorImageOps<Vector512<float>, Simd512>>(ref s, part, first, last); break;
            case SimdLevel.Vector256: TP.Run<VectorImageOps<Vector256<float>, Simd256>>(ref s, part, first, last); break;
            case SimdLevel.Vector128: TP.Run<VectorImageOps<Vector128<float>, Simd128>>(ref s, part, first, last); break;
            default: TP.Run<ScalarImageOps>(ref s, part, first, last); break;
        }
    }

    /// <summary>Whether the patch matrix is the input itself: a 1 × 1 kernel, stride 1, no padding, the whole input used.</summary>
    private static bool Pointwise(in Conv2DGeometry g) =>
        g.KernelSize == 1 && g.Stride == 1 && g.OutHeight == g.Height && g.OutWidth == g.Width;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Forward<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, patch = g.PatchSize, filters = g.Filters;
        if (s.Method == Method.FilterVectors)
        {
            ForwardFilterVectors<TO>(ref s, first, last);
            return;
        }
        if (s.Method == Method.OutputRows)
        {
            ForwardOutputRows<TO>(ref s, first, last);
            return;
        }
        bool onGrid = s.Method == Method.Grid, padded = onGrid && !s.Grid.InPlace, pointwise = s.Method == Method.Pointwise;
        // On the grid: the product [F, grid positions] before it is gathered; otherwise: the patch matrix.
        long scratch = onGrid ? (long)filters * s.Grid.Positions : pointwise ? 0 : (long)patch * positions;
        bool pooling = s.Pool.Output != null;
        fixed (float* buffer = scratch > 0 ? Scratch(ref t_patches, scratch) : null)
        fixed (float* pad = padded ? Scratch(ref t_padded, (long)g.Channels * s.Grid.PlaneSize + TO.Width) : null)
        fixed (float* example = pooling ? Scratch(ref t_example, g.OutputSize) : null)
        {
            for (int b = first; b < last; b++)
            {
                float* x = s.Input + (long)b * g.InputSize;
                float* y = pooling ? example : s.Output + (long)b * g.OutputSize;
                GemmJob job;
                if (onGrid)
                {
                    if (padded) Conv2DGrid.Pad<TO>(pad, x, g, s.Grid);
                    job = new GemmJob
                    {
                        // B(p, j) = input[p + j]: row p of B starts at offset p; the terms are the weights' offsets.
                        A = s.Weights, ARowStride = s.WeightStride, AColumnStride = 1,
                        B = padded ? pad : x, Ldb = 1,
                        C = buffer, Ldc = s.Grid.Positions,
                        M = filters, N = s.Grid.Positions,
                        Terms = s.Offsets, TermCount = patch,
                    };
                }
                else
                {
                    if (!pointwise) Conv2DPatches.Im2Col<TO>(buffer, x, g);
                    job = new GemmJob
                    {
                        A = s.Weights, ARowStride = patch, AColumnStride = 1,
                        B = pointwise ? x : buffer, Ldb = positions,
                        C = y, Ldc = positions,
                        M = filters, N = positions, K = patch,
                    };
                }
                job.Level = s.Level;
                job.Finish = GemmFinish.None;
                Gemm.RunRows(ref job, 0, filters);
                if (onGrid) Conv2DGrid.Gather<TO>(y, buffer, s.Bias, s.Activation == Activation.ReLU, g, s.Grid);
                Finish<TO>(ref s, y, biasAdded: onGrid);
                if (pooling) PoolExample(ref s, b, y);
            }
        }
    }

    /// <summary>Max pooling of example <paramref name="b"/>'s outputs <paramref name="y"/> [F, OH, OW] (a buffer of the thread, overwritten) into its rows of the pooled output.</summary>
    private static void PoolExample(ref State s, int b, float* y)
    {
        Conv2DGeometry g = s.Geometry;
        ref Pooling p = ref s.Pool;
        long size = (long)g.Filters * p.OutHeight * p.OutWidth;
        MaxPool2D.ForwardValues(s.Level, p.Output + b * size, y, g.Filters, g.OutHeight, g.OutWidth, p.Size, p.Stride, p.OutHeight, p.OutWidth);
    }

    /// <summary>Bias (unless already added) and activation on one example's outputs [F, OH·OW].</summary>
    private static void Finish<TO>(ref State s, float* y, bool biasAdded) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize;
        if (!biasAdded)
            for (int f = 0; f < g.Filters; f++) TO.AddBias(y + (long)f * positions, positions, s.Bias[f], s.Activation == Activation.ReLU);
        // ReLU went with the bias (or the grid's gather); the others are applied here.
        if (!Activations.InRegisters(s.Activation)) Activations.Apply(s.Activation, new Span<float>(y, g.OutputSize));
    }

    /// <summary>
    /// The forward pass by output rows (<see cref="ConvRows{TV, TS}"/>): per example, the input on its grid (padded, or
    /// read in place; the batch's last example copied with a vector of room past its end when the last vectors of its
    /// rows would read past the input), the outputs with bias and ReLU, then any other activation, then the pooling if
    /// there is one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ForwardOutputRows<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        GridShape grid = s.Grid;
        int size = g.Channels * grid.PlaneSize;
        bool readsPast = g.OutWidth % TO.Width != 0, pooling = s.Pool.Output != null;
        fixed (float* pad = !grid.InPlace || readsPast ? Scratch(ref t_padded, (long)size + TO.Width) : null)
        fixed (float* example = pooling ? Scratch(ref t_example, g.OutputSize) : null)
        {
            for (int b = first; b < last; b++)
            {
                float* x = s.Input + (long)b * g.InputSize;
                float* y = pooling ? example : s.Output + (long)b * g.OutputSize;
                // In place, the lanes past a row's outputs read the next example's first values, except after the last one.
                bool copy = !grid.InPlace || (readsPast && b == s.Batch - 1);
                if (copy && grid.InPlace) TO.Copy(pad, x, size);
                else if (copy) Conv2DGrid.Pad<TO>(pad, x, g, grid);
                var job = new RowsJob
                {
                    Input = copy ? pad : x, Weights = s.Weights, Bias = s.Bias, Output = y,
                    Channels = g.Channels, KernelSize = g.KernelSize, Filters = g.Filters, OutHeight = g.OutHeight, OutWidth = g.OutWidth,
                    GridWidth = grid.Width, GridPlane = grid.PlaneSize, Relu = s.Activation == Activation.ReLU,
                };
                TO.RowsForward(job);
                Finish<TO>(ref s, y, biasAdded: true);
                if (pooling) PoolExample(ref s, b, y);
            }
        }
    }

    /// <summary>
    /// The forward pass with the filters in the vector lanes: per example, the outputs [OH·OW, F] from the padded input
    /// and the transposed weights, then transposed into place, then bias and activation.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ForwardFilterVectors<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, filters = g.Filters;
        bool padded = !s.Grid.InPlace, pooling = s.Pool.Output != null;
        bool poolInLanes = pooling && s.Activation is Activation.None or Activation.ReLU;
        fixed (float* outputs = Scratch(ref t_patches, g.OutputSize))
        fixed (float* pad = padded ? Scratch(ref t_padded, (long)g.Channels * s.Grid.PlaneSize + TO.Width) : null)
        fixed (float* example = pooling ? Scratch(ref t_example, g.OutputSize) : null)
        {
            for (int b = first; b < last; b++)
            {
                float* x = s.Input + (long)b * g.InputSize;
                float* y = pooling ? example : s.Output + (long)b * g.OutputSize;
                if (padded) Conv2DGrid.Pad<TO>(pad, x, g, s.Grid);
                var job = new FilterVectorJob
                {
                    Input = padded ? pad : x, Offsets = s.Offsets, Terms = g.PatchSize,
                    Weights = s.Weights, Filters = filters, Output = outputs,
                    OutHeight = g.OutHeight, OutWidth = g.OutWidth, GridWidth = s.Grid.Width,
                };
                TO.FilterVectorForward(job);
                if (poolInLanes)
                {
                    // Bias, ReLU and pooling with the filters still in the lanes; only the pooled outputs are transposed.
                    ref Pooling p = ref s.Pool;
                    int pooledPositions = p.OutHeight * p.OutWidth;
                    TO.PoolFilterVectors(example, outputs, s.Bias, s.Activation == Activation.ReLU, filters, g.OutWidth, p.Size, p.Stride, p.OutHeight, p.OutWidth);
                    Transpose.Run(example, filters, p.Output + (long)b * filters * pooledPositions, pooledPositions, pooledPositions, filters);
                    continue;
                }
                Transpose.Run(outputs, filters, y, positions, positions, filters);
                Finish<TO>(ref s, y, biasAdded: false);
                if (pooling) PoolExample(ref s, b, y);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInput<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        if (s.Method == Method.Grid)
        {
            BackwardInputOnGrid<TO>(ref s, first, last);
            return;
        }
        if (s.Method == Method.OutputRows)
        {
            BackwardInputOnOutputRows<TO>(ref s, first, last);
            return;
        }
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, patch = g.PatchSize, filters = g.Filters;
        bool pointwise = s.Method == Method.Pointwise;
        fixed (float* dPatches = pointwise ? null : Scratch(ref t_patches, (long)patch * positions))
        {
            for (int b = first; b < last; b++)
            {
                float* dx = s.Input + (long)b * g.InputSize;
                var job = new GemmJob
                {
                    A = s.Weights, ARowStride = filters, AColumnStride = 1,
                    B = s.Output + (long)b * g.OutputSize, Ldb = positions,
                    C = pointwise ? dx : dPatches, Ldc = positions,
                    M = patch, N = positions, K = filters,
                    Level = s.Level,
                    Finish = GemmFinish.None,
                };
                Gemm.RunRows(ref job, 0, patch);
                if (!pointwise) Conv2DPatches.Col2Im<TO>(dx, dPatches, g);
            }
        }
    }

    /// <summary>
    /// The input gradient on the grid: per example, <c>weightsᵀ · dOutput</c> with dOutput laid out on the grid, each row
    /// p of it the gradient of the input under weight p from that weight's offset on; then each input position sums the
    /// rows of its channel at its position less their offsets. The product's rows sit between zero margins, so that the
    /// sums read every row over the whole plane without a bounds check (and nothing is ever scattered).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputOnGrid<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        GridShape grid = s.Grid;
        int patch = g.PatchSize, filters = g.Filters, kk = g.KernelSize * g.KernelSize, plane = grid.PlaneSize, w = TO.Width;
        int columns = grid.Positions;
        // Row p: [margin zeros][grid positions][zeros], read from margin − shift to margin − shift + plane (rounded up).
        int margin = (g.KernelSize - 1) * grid.Width + g.KernelSize - 1;
        nint rowLength = margin + (plane + w - 1) / w * w + w;
        bool padded = !grid.InPlace;
        // Spread and Pad may write a vector past their rows' end.
        fixed (float* rows = Scratch(ref t_patches, patch * rowLength), spread = Scratch(ref t_grid, (long)filters * columns + w))
        fixed (float* pad = padded ? Scratch(ref t_padded, (long)g.Channels * plane + w) : null)
        {
            // The product writes [margin, margin + columns) of each row; the rest stays zero for every example.
            TO.Clear(rows, (int)(patch * rowLength));
            for (int b = first; b < last; b++)
            {
                float* dx = s.Input + (long)b * g.InputSize;
                Conv2DGrid.Spread<TO>(spread, s.Output + (long)b * g.OutputSize, columns, g, grid);
                var job = new GemmJob
                {
                    A = s.Weights, ARowStride = filters, AColumnStride = 1,
                    B = spread, Ldb = columns,
                    C = rows + margin, Ldc = rowLength,
                    M = patch, N = columns, K = filters,
                    Level = s.Level,
                    Finish = GemmFinish.None,
                };
                Gemm.RunRows(ref job, 0, patch);
                // The first k·k offsets (channel 0) are the shifts of each channel's rows.
                float* target = padded ? pad : dx;
                for (int c = 0; c < g.Channels; c++)
                    TO.FoldRows(target + (long)c * plane, plane, rows + c * kk * rowLength + margin, rowLength, s.Offsets, kk);
                if (padded) Conv2DGrid.Crop<TO>(dx, pad, g, grid);
            }
        }
    }

    /// <summary>
    /// The input gradient from the product over the output positions: per example, <c>weightsᵀ · dOutput</c> as it is,
    /// [C·k·k, OH·OW], then each input position sums the values of the weights and outputs that reach it
    /// (<see cref="ConvRowFold"/>). Every product is one of the definition's, so non-finite weights need no other path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BackwardInputOnOutputRows<TO>(ref State s, int first, int last) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, patch = g.PatchSize, filters = g.Filters, margin = TO.OutputRowProductMargin(g);
        // Room on both sides for the fold's vectors, whose lanes outside the outputs read there (and are cleared).
        bool scatter = s.ScatterRows != null;
        int scatterWidth = TO.ScatterWidth, filterStride = ConvScatterGradient.FilterStride(g, scatterWidth);
        fixed (float* buffer = Scratch(ref t_patches, (long)patch * positions + 2 * margin + g.Width), masks = Scratch(ref t_grid, TO.OutputRowMaskLength(g)))
        fixed (float* grid = scatter ? Scratch(ref t_scatterGrid, ConvScatterGradient.GridLength(g, scatterWidth)) : null)
        fixed (float* transposed = scatter ? Scratch(ref t_scatterTransposed, (long)positions * filterStride) : null)
        fixed (int* filterList = scatter ? ThreadBuffers.Ints(ref t_scatterFilters, (long)positions * filterStride + scatterWidth, 256) : null)
        fixed (int* counts = scatter ? ThreadBuffers.Ints(ref t_scatterCounts, positions, 256) : null)
        {
            float* product = buffer + margin;
            int* terms = stackalloc int[filters <= 256 ? filters : 0];
            TO.PrepareOutputRowMasks(masks, g);
            // The transpose writes the filters' lanes only: those past them stay zero for every example.
            if (scatter) new Span<float>(transposed, positions * filterStride).Clear();
            var sparse = new ScatterGradientJob
            {
                Rows = s.ScatterRows, Transposed = transposed, Filters = filterList, Counts = counts, Grid = grid, Geometry = g,
                ProductWidth = TO.Width,
            };
            for (int b = first; b < last; b++)
            {
                float* dy = s.Output + (long)b * g.OutputSize;
                if (scatter)
                {
                    sparse.Dx = s.Input + (long)b * g.InputSize;
                    sparse.Dy = dy;
                    if (TO.ScatterInputGradient(sparse)) continue;
                }
                var job = new GemmJob
                {
                    A = s.Weights, ARowStride = filters, AColumnStride = 1,
                    B = dy, Ldb = positions,
                    C = product, Ldc = positions,
                    M = patch, N = positions, K = filters,
                    Level = s.Level,
                    Finish = GemmFinish.None,
                };
                if (s.SkipZeros && filters <= 256)
                {
                    int count = 0;
                    for (int f = 0; f < filters; f++)
                    {
                        terms[count] = f;
                        // NaN is not 0: such a row stays.
                        count += TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(dy + (long)f * positions, positions)) != 0f ? 1 : 0;
                    }
                    if (count < filters)
                    {
                        job.Terms = terms;
                        job.TermCount = count;
                    }
                }
                if (job.Terms != null && job.TermCount == 0) TO.Clear(product, patch * positions);
                else Gemm.RunRows(ref job, 0, patch);
                TO.FoldOutputRows(s.Input + (long)b * g.InputSize, product, masks, g);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Parameters<TO>(ref State s, int first, int last, float* dw, float* db) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, filters = g.Filters;
        // The sparse sum's buffers exist from the first call on, so that a later batch that takes it allocates nothing.
        if (s.SparseApplies) SparseBuffers(g, out _, out _, out _);
        if (s.SparseGradient) SparseParameters(ref s, first, last, dw);
        else if (s.Method == Method.Grid) ParametersOnGrid<TO>(ref s, first, last, dw);
        else if (s.Method == Method.FilterVectors) ParametersFilterVectors<TO>(ref s, first, last, dw);
        else ParametersOnPatches<TO>(ref s, first, last, dw);
        for (int b = first; b < last; b++)
        {
            float* dy = s.Output + (long)b * g.OutputSize;
            for (int f = 0; f < filters; f++)
            {
                float sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(dy + (long)f * positions, positions));
                db[f] = b == first ? sum : db[f] + sum;
            }
        }
    }

    /// <summary>
    /// The weight gradient of examples [first, last) on the grid, in chunks of examples whose padded inputs and grid
    /// output gradients (rows padded to whole vectors, zero past the outputs) fit in <see cref="ChunkBytes"/>. When
    /// fewer vectors cover the output rows one by one (each padded to whole vectors) than the grid's positions as one
    /// row, the sums go row by row, which leaves out the grid's columns past the outputs (LeNet's conv1 with AVX2: 24
    /// rows of 3 vectors against 84 vectors); then when the input needs no padding and the rows are whole vectors, both
    /// operands are read where they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ParametersOnGrid<TO>(ref State s, int first, int last, float* dw) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        GridShape grid = s.Grid;
        int width = TO.Width, filters = g.Filters;
        nint gridRow = (grid.Positions + width - 1) / width * width;
        nint outputRow = (g.OutWidth + width - 1) / width * width;
        bool byRows = g.OutHeight * outputRow < gridRow;
        bool inPlace = byRows && grid.InPlace && outputRow == g.OutWidth;
        nint rowStride = byRows ? g.OutHeight * outputRow : gridRow;
        // Each padded input is followed by zeros up to a whole vector past its end, so that every row read from an offset
        // (offset + rowStride ≤ input + its size + width − 1; by rows, the last row's end likewise) stays inside it.
        nint inputStride = inPlace ? g.InputSize : (nint)(((long)g.Channels * grid.PlaneSize + 2 * width - 1) / width * width);
        nint outputStride = inPlace ? g.OutputSize : filters * rowStride;
        int chunk = (int)Math.Clamp(ChunkBytes / (sizeof(float) * (inputStride + outputStride)), 1, last - first);
        // Both start on a 64-byte line (the output gradients' rows then load whole lines), with a vector of room past the
        // end for Spread and Pad.
        fixed (float* inputBuffer = inPlace ? null : Scratch(ref t_padded, chunk * inputStride + 16 + width))
        fixed (float* gradientBuffer = inPlace ? null : Scratch(ref t_grid, chunk * outputStride + 16 + width))
        {
            float* inputs = (float*)(((nint)inputBuffer + 63) & ~(nint)63);
            float* gradients = (float*)(((nint)gradientBuffer + 63) & ~(nint)63);
            for (int from = first; from < last; from += chunk)
            {
                int count = Math.Min(chunk, last - from);
                if (inPlace)
                {
                    inputs = s.Input + (long)from * g.InputSize;
                    gradients = s.Output + (long)from * g.OutputSize;
                }
                else
                    for (int e = 0; e < count; e++)
                    {
                        float* x = s.Input + (long)(from + e) * g.InputSize;
                        float* padded = inputs + e * inputStride;
                        int size = g.Channels * grid.PlaneSize;
                        if (grid.InPlace) TO.Copy(padded, x, size);
                        else Conv2DGrid.Pad<TO>(padded, x, g, grid);
                        TO.Clear(padded + size, (int)(inputStride - size));
                        float* dy = s.Output + (long)(from + e) * g.OutputSize;
                        if (!byRows) Conv2DGrid.Spread<TO>(gradients + e * outputStride, dy, rowStride, g, grid);
                        else
                            // Rows in order: what one writes past its end, the next one writes over.
                            for (int row = 0; row < filters * g.OutHeight; row++)
                                TO.Window(gradients + e * outputStride + row * outputRow, dy + row * g.OutWidth, 0, g.OutWidth, (int)outputRow);
                    }
                var job = new FilterGradientJob
                {
                    Gradient = dw, Accumulate = from != first,
                    OutputGradient = gradients, RowStride = rowStride, OutputExampleStride = outputStride,
                    Rows = byRows ? g.OutHeight : 1, RowLength = byRows ? outputRow : gridRow, OutputRowStride = outputRow,
                    Input = inputs, InputExampleStride = inputStride, InputRowStride = grid.Width,
                    Examples = count, Filters = filters, PatchSize = g.PatchSize, Offsets = s.Offsets,
                };
                TO.FilterGradient(job);
            }
        }
    }

    /// <summary>
    /// The weight gradient of examples [first, last) with the filters in the vector lanes, in chunks of examples whose
    /// padded inputs and transposed output gradients fit in <see cref="ChunkBytes"/>; summed transposed, [C·k·k, F], and
    /// transposed into place at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ParametersFilterVectors<TO>(ref State s, int first, int last, float* dw) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        GridShape grid = s.Grid;
        int width = TO.Width, filters = g.Filters, positions = g.OutputPlaneSize, size = g.Channels * grid.PlaneSize;
        // Room for the vector Pad may write past the end.
        nint inputStride = (size + 2 * width - 1) / width * width;
        nint outputStride = (nint)positions * filters;
        int chunk = (int)Math.Clamp(ChunkBytes / (sizeof(float) * (inputStride + outputStride)), 1, last - first);
        fixed (float* inputs = Scratch(ref t_padded, chunk * inputStride), gradientBuffer = Scratch(ref t_grid, chunk * outputStride + 16))
        fixed (float* transposed = Scratch(ref t_product, g.WeightCount))
        {
            // Rows of whole 64-byte lines.
            float* gradients = (float*)(((nint)gradientBuffer + 63) & ~(nint)63);
            for (int from = first; from < last; from += chunk)
            {
                int count = Math.Min(chunk, last - from);
                for (int e = 0; e < count; e++)
                {
                    float* x = s.Input + (long)(from + e) * g.InputSize;
                    if (grid.InPlace) TO.Copy(inputs + e * inputStride, x, size);
                    else Conv2DGrid.Pad<TO>(inputs + e * inputStride, x, g, grid);
                    Transpose.Run(s.Output + (long)(from + e) * g.OutputSize, positions, gradients + e * outputStride, filters, filters, positions);
                }
                var job = new FilterVectorGradientJob
                {
                    Inputs = inputs, InputStride = inputStride, OutputGradients = gradients, OutputStride = outputStride,
                    Examples = count, Channels = g.Channels, KernelSize = g.KernelSize, Filters = filters,
                    OutHeight = g.OutHeight, OutWidth = g.OutWidth, GridWidth = grid.Width, GridPlane = grid.PlaneSize,
                    Gradient = transposed, Accumulate = from != first,
                };
                TO.FilterVectorGradient(job);
            }
            Transpose.Run(transposed, filters, dw, g.PatchSize, g.PatchSize, filters);
        }
    }

    [ThreadStatic] private static float[]? t_sparseRows;
    [ThreadStatic] private static int[]? t_sparseList;

    /// <summary>Whether <see cref="ConvSparseFilterGradient{TV, TS}"/> takes <paramref name="g"/> at <paramref name="level"/> (256-bit vectors at the 512-bit level, as <see cref="PooledGradient"/>).</summary>
    private static bool SparseGradientApplies(SimdLevel level, in Conv2DGeometry g) => level switch
    {
        SimdLevel.Vector512 or SimdLevel.Vector256 => ConvSparseFilterGradient<Vector256<float>, Simd256>.Applies(g),
        SimdLevel.Vector128 => ConvSparseFilterGradient<Vector128<float>, Simd128>.Applies(g),
        _ => false,
    };

    /// <summary>Whether the batch's output gradient is sparse enough for the sum over its non-zero values to cost less than the dense one.</summary>
    private static bool SparseGradientCheaper(SimdLevel level, float* dy, int batch, in Conv2DGeometry g)
    {
        long values = (long)batch * g.OutputSize;
        long nonZeros = level == SimdLevel.Vector128
            ? ConvSparseFilterGradient<Vector128<float>, Simd128>.CountNonZero(dy, values)
            : ConvSparseFilterGradient<Vector256<float>, Simd256>.CountNonZero(dy, values);
        return ConvSparseFilterGradient.Cheaper(nonZeros, batch, g, Lanes(level));
    }

    /// <summary>The calling thread's buffers for <see cref="SparseParameters"/> (and the map it shares with <see cref="PooledGradient"/>).</summary>
    private static void SparseBuffers(in Conv2DGeometry g, out float[] rows, out int[] list, out int[] map)
    {
        rows = Scratch(ref t_sparseRows, (long)g.Filters * g.Channels * g.KernelSize * 8);
        list = ThreadBuffers.Ints(ref t_sparseList, g.OutputPlaneSize + 8, 256);
        map = ThreadBuffers.Ints(ref t_map, g.OutputPlaneSize, 256);
    }

    /// <summary>For tests: whether the weight gradient of this batch at <paramref name="level"/> is summed over the output gradient's non-zero values alone.</summary>
    internal static bool WeightGradientIsSparse(SimdLevel level, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, int batch, Conv2DGeometry g)
    {
        if (!SparseGradientApplies(level, g) || !Checks.AllFinite(input.Slice(0, batch * g.InputSize))) return false;
        fixed (float* dy = dOutput) return SparseGradientCheaper(level, dy, batch, g);
    }

    /// <summary>For tests: the weight gradient of the whole batch over the output gradient's non-zero values alone, whether or not it would pay (the kernel must apply, the input be finite).</summary>
    internal static void SparseWeightGradient(SimdLevel level, Span<float> dWeights, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, int batch, Conv2DGeometry g)
    {
        if (!SparseGradientApplies(level, g)) throw new ArgumentException("The sparse weight gradient does not take this geometry at this level.", nameof(g));
        fixed (float* dw = dWeights, dy = dOutput, x = input)
        {
            var state = new State { Output = dy, Input = x, Batch = batch, Geometry = g, Level = level };
            SparseParameters(ref state, 0, batch, dw);
        }
    }

    /// <summary>The weight gradient of examples [first, last) over the output gradient's non-zero values alone.</summary>
    private static void SparseParameters(ref State s, int first, int last, float* dw)
    {
        Conv2DGeometry g = s.Geometry;
        float* inputEnd = s.Input + (long)s.Batch * g.InputSize;
        SparseBuffers(g, out float[] rowBuffer, out int[] listBuffer, out int[] mapBuffer);
        fixed (float* rows = rowBuffer)
        fixed (int* list = listBuffer, map = mapBuffer)
        {
            if (s.Level == SimdLevel.Vector128) ConvSparseFilterGradient<Vector128<float>, Simd128>.Run(dw, rows, list, map, s.Output, s.Input, inputEnd, first, last, g);
            else ConvSparseFilterGradient<Vector256<float>, Simd256>.Run(dw, rows, list, map, s.Output, s.Input, inputEnd, first, last, g);
        }
    }

    /// <summary>The weight gradient of examples [first, last) as products <c>dOutput_b · patches_bᵀ</c>, added in example order.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ParametersOnPatches<TO>(ref State s, int first, int last, float* dw) where TO : IImageOps
    {
        Conv2DGeometry g = s.Geometry;
        int positions = g.OutputPlaneSize, patch = g.PatchSize, filters = g.Filters, weightCount = g.WeightCount;
        fixed (float* rows = Scratch(ref t_patches, (long)patch * positions), product = Scratch(ref t_product, weightCount))
        {
            for (int b = first; b < last; b++)
            {
                Conv2DPatches.Im2Row<TO>(rows, s.Input + (long)b * g.InputSize, g);
                var job = new GemmJob
                {
                    A = s.Output + (long)b * g.OutputSize, ARowStride = positions, AColumnStride = 1,
                    B = rows, Ldb = patch,
                    C = b == first ? dw : product, Ldc = patch,
                    M = filters, N = patch, K = positions,
                    SkipZeros = s.SkipZeros,
                    Level = s.Level,
                    Finish = GemmFinish.None,
                };
                Gemm.RunRows(ref job, 0, filters);
                if (b != first) TO.Add(dw, product, weightCount);
            }
        }
    }

    /// <summary>A buffer of at least <paramref name="length"/> floats in a thread-static slot (allocated once, then reused).</summary>
    private static float[] Scratch(ref float[]? slot, long length) => ThreadBuffers.Floats(ref slot, length, 1024);

    /// <summary>The calling thread's buffer for the weights' grid offsets.</summary>
    private static int[] Offsets(int length) => ThreadBuffers.Ints(ref t_offsets, length, 256);

    private static void CheckShape(int batch, in Conv2DGeometry geometry, int threads)
    {
        geometry.CheckInitialized(nameof(geometry));
        KernelArguments.NotNegative(batch, nameof(batch));
        KernelArguments.Positive(threads, nameof(threads));
    }
}
