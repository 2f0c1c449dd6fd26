using System;

namespace CompiledNets.Kernels;

/// <summary>
/// The three matrix products of a fully connected layer, over flat row-major spans, with the elementwise steps
/// around them done on each row as it is finished (while it is still in cache). Shapes: input [batch, inputs],
/// weights [inputs, outputs], bias [outputs], output [batch, outputs].
/// </summary>
/// <remarks>
/// The products run on register-blocked vector kernels written once for every width (<see cref="System.Runtime.Intrinsics.Vector512{T}"/>,
/// <see cref="System.Runtime.Intrinsics.Vector256{T}"/> or <see cref="System.Runtime.Intrinsics.Vector128{T}"/>), or plain loops without a vector unit;
/// the choice is made once per process. Terms whose input is zero in every row of a register tile are skipped, which
/// pays off on image background, ReLU zeros and dropped units. It is exact only when the other factor is finite
/// (0 · ∞ and 0 · NaN are NaN), so a product skips nothing unless every weight (for the weight gradient: every output
/// gradient) is finite; the result of a product is then the same at every vector width and tile shape.
/// <c>threads</c> greater than 1 splits each product between threads (capped at the processor count): the forward
/// product by its inputs (each thread sums its half, the halves are added), the weight gradient by its rows, the input
/// gradient by batch rows. Every output element is computed the same way whatever the thread count (the forward sum is
/// taken in the same two halves with one thread), so results are identical, bit for bit.
/// </remarks>
public static unsafe class Dense
{
    [ThreadStatic] private static float[]? t_weightsTransposed;

    /// <summary><c>output = activation(input · weights + bias)</c>.</summary>
    /// <param name="output">[batch, outputs].</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="bias">[outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation = Activation.None, int threads = 1, bool? weightsFinite = null)
        => Forward(output, input, weights, bias, batch, inputs, outputs, activation, default, default, 1f, hasDropout: false, threads, weightsFinite);

    /// <summary>
    /// <c>output = activation(input · weights + bias)</c> and, in the same pass, the dropout of it while training:
    /// <c>dropped = output ⊙ mask</c>.
    /// </summary>
    /// <param name="output">[batch, outputs]: the activations, kept for the backward pass.</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="bias">[outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="dropped">[batch, outputs]: the activations after dropout.</param>
    /// <param name="mask">[batch, outputs]: the kept value where a unit is kept, 0 where it is dropped.</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, Span<float> dropped, ReadOnlySpan<float> mask, int threads = 1,
        bool? weightsFinite = null)
    {
        CheckLength(mask.Length, (long)batch * outputs, nameof(mask));
        Forward(output, input, weights, bias, batch, inputs, outputs, activation, dropped, mask, 1f, hasDropout: true, threads, weightsFinite);
    }

    /// <summary>
    /// <c>output = activation(input · weights + bias)</c> and, in the same pass, the dropout layer's inference scaling:
    /// <c>dropped = output · scale</c>.
    /// </summary>
    /// <param name="output">[batch, outputs]: the activations.</param>
    /// <param name="input">[batch, inputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="bias">[outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="dropped">[batch, outputs]: the scaled activations.</param>
    /// <param name="scale">The keep probability (1 for inverted dropout, whose inference is the identity).</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, Span<float> dropped, float scale, int threads = 1,
        bool? weightsFinite = null)
        => Forward(output, input, weights, bias, batch, inputs, outputs, activation, dropped, default, scale, hasDropout: true, threads, weightsFinite);

    private static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int outputs, Activation activation, Span<float> dropped, ReadOnlySpan<float> mask, float scale,
        bool hasDropout, int threads, bool? weightsFinite)
    {
        CheckShape(batch, inputs, outputs, threads);
        CheckLength(output.Length, (long)batch * outputs, nameof(output));
        CheckLength(input.Length, (long)batch * inputs, nameof(input));
        CheckLength(weights.Length, (long)inputs * outputs, nameof(weights));
        CheckLength(bias.Length, outputs, nameof(bias));
        if (hasDropout) CheckLength(dropped.Length, (long)batch * outputs, nameof(dropped));
        CheckActivation(activation);

        bool split = SplitsInner(batch, inputs, outputs);
        float[]? partial = split ? PartialBuffer(batch * outputs) : null;
        fixed (float* c = output, a = input, b = weights, pBias = bias, pDropped = dropped, pMask = mask, pPartial = partial)
        {
            var job = new GemmJob
            {
                A = a, ARowStride = inputs, AColumnStride = 1,
                B = b, Ldb = outputs,
                C = c, Ldc = outputs,
                M = batch, N = outputs, K = inputs,
                SkipZeros = weightsFinite ?? Checks.AllFinite(weights.Slice(0, inputs * outputs)),
                Level = Simd.Level,
                Finish = GemmFinish.Forward,
                Activation = activation,
                Bias = pBias,
                Dropped = hasDropout ? pDropped : null,
                Mask = hasDropout && mask.Length > 0 ? pMask : null,
                Scale = scale,
            };
            if (split) Gemm.RunSplitInner(ref job, pPartial, threads);
            else Gemm.Run(ref job, threads);
        }
    }

    /// <summary><c>dInput = dOutput · weightsᵀ</c> (the gradient passed to the layer before).</summary>
    /// <param name="dInput">[batch, inputs].</param>
    /// <param name="dOutput">[batch, outputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs, int threads = 1, bool? weightsFinite = null)
        => BackwardInput(dInput, dOutput, weights, batch, inputs, outputs, Activation.None, default, default, 1f, threads, weightsFinite);

    /// <summary>
    /// <c>dInput = (dOutput · weightsᵀ) ⊙ previousActivation′</c>: the gradient with respect to the previous layer's
    /// pre-activation, its derivative taken at that layer's output <paramref name="previousOutput"/>.
    /// </summary>
    /// <param name="dInput">[batch, inputs].</param>
    /// <param name="dOutput">[batch, outputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="previousActivation">The activation of the layer whose output is this layer's input.</param>
    /// <param name="previousOutput">[batch, inputs]: that layer's output (after its activation, before any dropout).</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs, Activation previousActivation, ReadOnlySpan<float> previousOutput, int threads = 1,
        bool? weightsFinite = null)
        => BackwardInput(dInput, dOutput, weights, batch, inputs, outputs, previousActivation, previousOutput, default, 1f, threads, weightsFinite);

    /// <summary>
    /// <c>dInput = (dOutput · weightsᵀ) ⊙ mask ⊙ previousActivation′</c>: through the dropout mask that sat between the
    /// previous layer and this one while training, then the previous layer's activation.
    /// </summary>
    /// <param name="dInput">[batch, inputs].</param>
    /// <param name="dOutput">[batch, outputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="previousActivation">The activation of the layer whose (dropped-out) output is this layer's input.</param>
    /// <param name="previousOutput">[batch, inputs]: that layer's output before dropout.</param>
    /// <param name="mask">[batch, inputs]: the dropout mask of the forward pass.</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs, Activation previousActivation, ReadOnlySpan<float> previousOutput,
        ReadOnlySpan<float> mask, int threads = 1, bool? weightsFinite = null)
    {
        CheckLength(mask.Length, (long)batch * inputs, nameof(mask));
        BackwardInput(dInput, dOutput, weights, batch, inputs, outputs, previousActivation, previousOutput, mask, 1f, threads, weightsFinite);
    }

    /// <summary>
    /// <c>dInput = (dOutput · weightsᵀ) · scale ⊙ previousActivation′</c>: through a dropout layer run in inference mode
    /// (scale = its keep probability, or 1 for inverted dropout), then the previous layer's activation.
    /// </summary>
    /// <param name="dInput">[batch, inputs].</param>
    /// <param name="dOutput">[batch, outputs].</param>
    /// <param name="weights">[inputs, outputs].</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="previousActivation">The activation of the layer whose (scaled) output is this layer's input.</param>
    /// <param name="previousOutput">[batch, inputs]: that layer's output before the scaling.</param>
    /// <param name="scale">The factor the forward pass applied.</param>
    /// <param name="threads">Threads to split the rows between.</param>
    /// <param name="weightsFinite">
    /// Whether every weight is finite: then the terms of zero inputs are skipped (exact); when one is not, nothing is
    /// skipped, so that 0 · ∞ and 0 · NaN give NaN as IEEE arithmetic does. <c>null</c> (the default): the kernel checks.
    /// </param>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs, Activation previousActivation, ReadOnlySpan<float> previousOutput,
        float scale, int threads = 1, bool? weightsFinite = null)
        => BackwardInput(dInput, dOutput, weights, batch, inputs, outputs, previousActivation, previousOutput, default, scale, threads, weightsFinite);

    private static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weights,
        int batch, int inputs, int outputs, Activation previousActivation, ReadOnlySpan<float> previousOutput,
        ReadOnlySpan<float> mask, float scale, int threads, bool? weightsFinite)
    {
        CheckShape(batch, inputs, outputs, threads);
        CheckLength(dInput.Length, (long)batch * inputs, nameof(dInput));
        CheckLength(dOutput.Length, (long)batch * outputs, nameof(dOutput));
        CheckLength(weights.Length, (long)inputs * outputs, nameof(weights));
        CheckActivation(previousActivation);
        if (previousActivation != Activation.None)
            CheckLength(previousOutput.Length, (long)batch * inputs, nameof(previousOutput));
        if (batch == 0 || inputs == 0) return;

        // dInput = dOutput · weightsᵀ multiplies by weightsᵀ [outputs, inputs] row by row: transpose it once.
        float[] transposed = WeightsBuffer(inputs * outputs);
        fixed (float* c = dInput, a = dOutput, w = weights, wt = transposed, y = previousOutput, pMask = mask)
        {
            Transpose.Run(w, outputs, wt, inputs, inputs, outputs);
            var job = new GemmJob
            {
                A = a, ARowStride = outputs, AColumnStride = 1,
                B = wt, Ldb = inputs,
                C = c, Ldc = inputs,
                M = batch, N = inputs, K = outputs,
                SkipZeros = weightsFinite ?? Checks.AllFinite(weights.Slice(0, inputs * outputs)),
                Level = Simd.Level,
                Finish = GemmFinish.BackwardInput,
                Activation = previousActivation,
                ActivationOutput = y,
                Mask = mask.Length > 0 ? pMask : null,
                Scale = scale,
            };
            Gemm.Run(ref job, threads);
        }
    }

    /// <summary>
    /// <c>dWeights = inputᵀ · dOutput</c> and <c>dBias = Σ_batch dOutput</c>, overwriting both.
    /// </summary>
    /// <param name="dWeights">[inputs, outputs].</param>
    /// <param name="dBias">[outputs].</param>
    /// <param name="dOutput">[batch, outputs].</param>
    /// <param name="input">[batch, inputs]: the layer's input in the forward pass.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="threads">Threads to split the rows of <paramref name="dWeights"/> between.</param>
    public static void BackwardParameters(Span<float> dWeights, Span<float> dBias, ReadOnlySpan<float> dOutput,
        ReadOnlySpan<float> input, int batch, int inputs, int outputs, int threads = 1)
    {
        CheckShape(batch, inputs, outputs, threads);
        CheckLength(dWeights.Length, (long)inputs * outputs, nameof(dWeights));
        CheckLength(dBias.Length, outputs, nameof(dBias));
        CheckLength(dOutput.Length, (long)batch * outputs, nameof(dOutput));
        CheckLength(input.Length, (long)batch * inputs, nameof(input));

        ColumnSums(dBias.Slice(0, outputs), dOutput, batch, outputs);
        fixed (float* c = dWeights, a = input, b = dOutput)
        {
            var job = new GemmJob
            {
                // A(i, p) = input[p, i]: the transpose of the input, read in place.
                A = a, ARowStride = 1, AColumnStride = inputs,
                B = b, Ldb = outputs,
                C = c, Ldc = outputs,
                M = inputs, N = outputs, K = batch,
                // The zero inputs are skipped when every output gradient is finite (checking costs 1/inputs of the product).
                SkipZeros = Checks.AllFinite(dOutput.Slice(0, batch * outputs)),
                Level = Simd.Level,
                Finish = GemmFinish.None,
            };
            if (threads > 1 && SplitsInner(batch, inputs, outputs)) Gemm.RunSplitRows(ref job, threads);
            else Gemm.Run(ref job, threads);
        }
    }

    /// <summary>
    /// Whether the forward product sums the first and the second half of its inputs (split at
    /// <see cref="Gemm.OwnerSplit"/>) separately and then adds them, and, with more than one thread, the weight gradient
    /// splits its rows there too — the split the optimizer uses — so that each core keeps working on its own half of the
    /// weights. Decided by the shape alone, never by the thread count: the sums are the same whatever the threads, so
    /// results are too, bit for bit.
    /// </summary>
    private static bool SplitsInner(int batch, int inputs, int outputs) =>
        inputs >= MinimumSplitRows && (long)batch * inputs * outputs >= Gemm.MinimumSplitWork;

    /// <summary>Layers with fewer inputs than this are not worth splitting by weight rows.</summary>
    private const int MinimumSplitRows = 32;

    [ThreadStatic] private static float[]? t_partial;

    /// <summary>The second half's partial sums of a split forward product, for this thread (allocated once, then reused).</summary>
    private static float[] PartialBuffer(int length) => ThreadBuffers.Floats(ref t_partial, length, 4096);

    /// <summary>A buffer for a transposed weight matrix, for this thread (allocated once, then reused).</summary>
    private static float[] WeightsBuffer(int length) => ThreadBuffers.Floats(ref t_weightsTransposed, length, 4096);

    /// <summary><c>sums[j] = Σ_b values[b, j]</c>, one row at a time.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums(Span<float> sums, ReadOnlySpan<float> values, int rows, int columns)
    {
        if (rows == 0)
        {
            sums.Clear();
            return;
        }
        values.Slice(0, columns).CopyTo(sums);
        for (int r = 1; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(sums, values.Slice(r * columns, columns), sums);
    }

    private static void CheckShape(int batch, int inputs, int outputs, int threads)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Must not be negative.");
        if (inputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "Must be positive.");
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "Must be positive.");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Must be positive.");
    }

    private static void CheckLength(int actual, long needed, string paramName)
    {
        if (actual < needed)
            throw new ArgumentException($"Needs at least {needed} values but has {actual}.", paramName);
    }

    private static void CheckActivation(Activation activation)
    {
        if (activation is not (Activation.None or Activation.ReLU or Activation.Tanh or Activation.Sigmoid or Activation.SELU))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Not an activation.");
    }
}
