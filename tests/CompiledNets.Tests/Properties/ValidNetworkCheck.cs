using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using CompiledNets.Randomness;

namespace CompiledNets.Tests.Properties;

/// <summary>What the valid-network property saw, summed over every network it checked (thread-safe).</summary>
internal sealed class ValidNetworkStats
{
    private readonly object _gate = new();
    public int Compilations, Networks, TrainingModeNetworks, Parameters, Outputs, RichardsonRechecks, KinkSkips, Dropouts, ReLUNetworks, SeluNetworks;
    public int Convolutions, Pools, SpatialDropouts, ImageDropouts, AmbiguousWindows, KinkRechecks;
    public double WorstInferenceRatio, WorstTrainingRatio, WorstPlainRatio, WorstRichardsonRatio, WorstKinkRecheckRatio;
    public string WorstRichardsonCase = "";
    public readonly List<string> SkipLog = new();

    public void Add(Action<ValidNetworkStats> update)
    {
        lock (_gate) update(this);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Networks} random valid networks in {Compilations} in-memory compilations ({ReLUNetworks} with ReLU, {SeluNetworks} with SELU, {Dropouts} dropout layers); " +
        $"{Outputs} outputs compared with the scalar reference (worst |error| / σ: inference {WorstInferenceRatio:G3}, training {WorstTrainingRatio:G3}); " +
        $"{Parameters} parameters checked by central differences ({TrainingModeNetworks} networks in training mode with fixed masks, the rest at inference; worst error / tolerance {WorstPlainRatio:G3} where no kink is crossed); " +
        $"{RichardsonRechecks} re-checked by Richardson extrapolation (worst {WorstRichardsonRatio:G3}); " +
        $"{KinkRechecks} re-checked with a smaller step inside a smooth piece (worst {WorstKinkRecheckRatio:G3}), {KinkSkips} skipped at a ReLU, SELU or pooling kink") +
        (Convolutions + Pools > 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"; image layers: {Convolutions} Conv2D, {Pools} MaxPool2D, {SpatialDropouts} SpatialDropout, {ImageDropouts} Dropout after an image layer; {AmbiguousWindows} pooling windows with an ambiguous winner")
            : "");
}

/// <summary>One generated network with its data and the checks the valid-network property makes on it.</summary>
internal sealed class ValidNetworkCheck
{
    /// <summary>
    /// Float results may differ from the double reference by this many model standard deviations σ (see
    /// <see cref="ScalarReference"/>): a sum of many small roundings is near-Gaussian, so 10 σ is never reached by chance;
    /// the margin is for the model's simplifications (correlated roundings). Observed worst over 2,000 networks: 2.9 σ.
    /// A real defect (a wrong scale, weight, bias or wiring) moves outputs by a sizeable fraction of their value, ~10⁵ σ.
    /// </summary>
    public const double Sigmas = 10;

    /// <summary>
    /// Central-difference step, as in Numerics/FiniteDifference.cs: the truncation error h²/6 · |L'''| and the float noise
    /// σ_L / (√2 h) balance near h = 1e-2 for |L'''| = O(1) and σ_L ≈ 1e-6.
    /// </summary>
    public const float H = 1e-2f;

    /// <summary>
    /// Relative part of the central-difference tolerance, as in the Numerics gradient checks: the truncation error
    /// h²/6 · |L'''| is at most 0.5% of |L'| while the loss's curvature scale √|L'''/L'| is below 17 (unit-scale inputs,
    /// He/Glorot weights). Where it is larger (saturating sigmoids behind 1/p-scaled activations), a parameter outside the
    /// tolerance is re-checked by Richardson extrapolation, whose remaining O(h⁴) error is far smaller: 0.1% of |L'|.
    /// </summary>
    public const double Relative = 5e-3, RichardsonRelative = 1e-3;

    private readonly NetworkSpec _spec;
    private readonly ICompiledNetwork _net;
    private readonly int _batch, _maxBatchSize;
    private readonly ulong _maskSeed;
    private readonly bool _gradientsInTraining;
    private readonly float[] _inputs;
    private readonly int[]? _labels;
    private readonly float[]? _targets;

    public ValidNetworkCheck(InMemoryNetworks assembly, ValidCase c)
    {
        _spec = c.Spec;
        _batch = c.Batch;
        _maskSeed = c.MaskSeed;
        _gradientsInTraining = c.GradientsInTraining;
        _maxBatchSize = c.Batch + c.ExtraCapacity;
        _net = assembly.Create(c.Spec, _maxBatchSize, c.WeightSeed);
        var rng = new SplitMix64(c.DataSeed);
        _inputs = Enumerable.Range(0, _batch * _spec.InputSize).Select(_ => (float)rng.NextGaussian()).ToArray();
        if (_spec.Loss == LossFunction.SoftmaxCrossEntropy)
            _labels = Enumerable.Range(0, _batch).Select(_ => rng.NextInt32(_spec.Outputs)).ToArray();
        else
            _targets = Enumerable.Range(0, _batch * _spec.Outputs).Select(_ => (float)rng.NextGaussian()).ToArray();
        // Nonzero biases (the default init is 0), so that a bias that is skipped, scaled or misplaced shows.
        foreach (ParameterTensor tensor in _net.ParameterTensors.Where(t => t.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            Span<float> bias = _net.Parameters.Slice(tensor.Offset, tensor.Length);
            for (int j = 0; j < bias.Length; j++) bias[j] += (float)(0.2 * rng.NextGaussian());
        }
    }

    public void Run(ValidNetworkStats stats)
    {
        CheckSurface();
        float[][] masks = TrainingMasks();
        // The gradient check runs in training mode (masks fixed by Reseed) for most networks, at inference for the rest.
        float[][]? gradientMasks = _gradientsInTraining ? masks : null;
        MoveBiasesAwayFromKinks(gradientMasks);
        double inference = CheckInference();
        double training = CheckTrainingForward(masks);
        CheckGradients(gradientMasks, stats);
        ImmutableArray<ExampleShape> shapes = _spec.Shapes;
        stats.Add(s =>
        {
            s.Networks++;
            s.Outputs += 2 * _batch * _spec.Outputs;
            s.Dropouts += masks.Length;
            if (_spec.Layers.Any(l => l is DenseSpec { Activation: Activation.ReLU } or Conv2DSpec { Activation: Activation.ReLU })) s.ReLUNetworks++;
            if (_spec.Layers.Any(l => l is DenseSpec { Activation: Activation.SELU } or Conv2DSpec { Activation: Activation.SELU })) s.SeluNetworks++;
            s.Convolutions += _spec.Layers.Count(l => l is Conv2DSpec);
            s.Pools += _spec.Layers.Count(l => l is MaxPool2DSpec);
            s.SpatialDropouts += _spec.Layers.Count(l => l is SpatialDropoutSpec);
            s.ImageDropouts += Enumerable.Range(0, _spec.Layers.Length).Count(l => _spec.Layers[l] is DropoutSpec && shapes[l].IsImage);
            s.WorstInferenceRatio = Math.Max(s.WorstInferenceRatio, inference);
            s.WorstTrainingRatio = Math.Max(s.WorstTrainingRatio, training);
        });
    }

    /// <summary>Sizes, loss kind and the Parameters layout as the interface reports them.</summary>
    private void CheckSurface()
    {
        Assert.Equal(_spec.Outputs, _net.OutputSize);
        Assert.Equal(_spec.ParameterCount, _net.ParameterCount);
        Assert.Equal(_spec.ParameterCount, _net.Parameters.Length);
        Assert.Equal(_spec.ParameterCount, _net.Gradients.Length);
        Assert.Equal(_spec.Loss, _net.LossFunction);
        Assert.Equal(_maxBatchSize, _net.MaxBatchSize);
        Assert.Equal(_spec.Loss == LossFunction.SoftmaxCrossEntropy, _net is IClassifierNetwork);
        Assert.Equal(_spec.Loss == LossFunction.MeanSquaredError, _net is IRegressionNetwork);

        Assert.Equal(_spec.InputSize, _net.InputSize);
        var expected = new List<(string, int, string)>();
        ImmutableArray<ExampleShape> shapes = _spec.Shapes;
        int offset = 0, dense = 0, conv = 0;
        for (int l = 0; l < _spec.Layers.Length; l++)
        {
            ExampleShape input = shapes[l];
            (string name, int[] weights, int bias) = _spec.Layers[l] switch
            {
                DenseSpec d => ($"dense{++dense}", new[] { (int)input.Size, d.Units }, d.Units),
                Conv2DSpec c => ($"conv{++conv}", new[] { c.Filters, input.Channels, c.KernelSize, c.KernelSize }, c.Filters),
                _ => ("", [], 0),
            };
            if (bias == 0) continue;
            int length = weights.Aggregate(1, (x, y) => x * y);
            expected.Add(($"{name}.weight", offset, string.Join("×", weights)));
            offset += length;
            expected.Add(($"{name}.bias", offset, bias.ToString(CultureInfo.InvariantCulture)));
            offset += bias;
        }
        Assert.Equal(expected, _net.ParameterTensors.Select(t => (t.Name, t.Offset, string.Join("×", t.Shape))));
        CheckLayerList(shapes);
    }

    /// <summary>The generated Layers list: one entry per declared layer, with its kind, shapes, window, stride and padding.</summary>
    private void CheckLayerList(ImmutableArray<ExampleShape> shapes)
    {
        LayerInfo[] infos = _net.Layers.ToArray();
        Assert.Equal(_spec.Layers.Length, infos.Length);
        for (int l = 0; l < infos.Length; l++)
        {
            LayerSpec layer = _spec.Layers[l];
            LayerInfo info = infos[l];
            string where = $"{_spec}\nLayers[{l}] = {info}";
            string kind = layer switch
            {
                DenseSpec => "Dense", Conv2DSpec => "Conv2D", MaxPool2DSpec => "MaxPool2D", SpatialDropoutSpec => "SpatialDropout", _ => "Dropout",
            };
            Assert.True(kind == info.Kind, where);
            Assert.True(shapes[l].Size == info.InputShape.Aggregate(1L, (x, y) => x * y), where);
            Assert.True(shapes[l + 1].Dimensions.SequenceEqual(info.OutputShape), where);
            switch (layer)
            {
                case Conv2DSpec c:
                    int top = c.PaddingBefore(shapes[l].Height), left = c.PaddingBefore(shapes[l].Width);
                    int[] padding = [top, left, c.PaddingTotal(shapes[l].Height) - top, c.PaddingTotal(shapes[l].Width) - left];
                    Assert.True(shapes[l].Dimensions.SequenceEqual(info.InputShape), where);
                    Assert.True((c.KernelSize, c.Stride) == (info.Window, info.Stride) && padding.SequenceEqual(info.Padding),
                        $"{where}: window {info.Window}, stride {info.Stride}, padding [{string.Join(", ", info.Padding)}], expected [{string.Join(", ", padding)}]");
                    break;
                case MaxPool2DSpec p:
                    Assert.True((p.Size, p.EffectiveStride) == (info.Window, info.Stride), where);
                    break;
                case DropoutFamilySpec d:
                    Assert.True(d.RateValue == info.DropoutRate && d.Scaling == info.Scaling, where);
                    break;
            }
        }
    }

    /// <summary>Forward(training: false) and Predict against the scalar reference; returns the worst |error| / σ.</summary>
    private double CheckInference()
    {
        float[] outputs = _net.Forward(_inputs, _batch, training: false).ToArray();
        ScalarReference.Pass reference = ScalarReference.Forward(_spec, _net.Parameters, _inputs, _batch, masks: null);
        double worst = Compare("inference Forward", outputs, reference);

        var predicted = new float[_batch * _spec.Outputs];
        _net.Predict(_inputs, predicted, _batch);
        int classes = _spec.Outputs;
        for (int b = 0; b < _batch; b++)
        {
            if (_spec.Loss == LossFunction.MeanSquaredError)
            {
                for (int k = 0; k < classes; k++)
                    Assert.Equal(outputs[b * classes + k], predicted[b * classes + k]);
                continue;
            }
            // ∂p_k/∂z_j = p_k(δ_kj − p_j), so Σ_j |∂p_k/∂z_j| = 2 p_k (1 − p_k) ≤ 1/2: a probability moves by at most half
            // the largest logit error; plus 1e-6 for the float softmax itself (exp, sum, divide: a few ulps of values ≤ 1).
            double max = double.NegativeInfinity, sum = 0, logitTolerance = 0;
            for (int k = 0; k < classes; k++)
            {
                max = Math.Max(max, reference.Outputs[b * classes + k]);
                logitTolerance = Math.Max(logitTolerance, Sigmas * reference.Sigma[b * classes + k]);
            }
            for (int k = 0; k < classes; k++) sum += Math.Exp(reference.Outputs[b * classes + k] - max);
            for (int k = 0; k < classes; k++)
            {
                double expected = Math.Exp(reference.Outputs[b * classes + k] - max) / sum;
                double allowed = 0.5 * logitTolerance + 1e-6;
                Assert.True(Math.Abs(predicted[b * classes + k] - expected) <= allowed,
                    $"{_spec}\nPredict, example {b}, class {k}: {predicted[b * classes + k]:G9} vs reference softmax {expected:G9} (allowed {allowed:G3})");
            }
        }
        return worst;
    }

    /// <summary>The masks of a training Forward after Reseed(maskSeed), [batch, width] per dropout layer, checked to hold only 0 and the kept value.</summary>
    private float[][] TrainingMasks()
    {
        _net.Reseed(_maskSeed);
        _net.Forward(_inputs, _batch, training: true);
        MaskAccessor? accessor = InMemoryNetworks.MaskAccessorOf(_net);
        var masks = new List<float[]>();
        ImmutableArray<ExampleShape> shapes = _spec.Shapes;
        for (int l = 0; l < _spec.Layers.Length; l++)
        {
            if (_spec.Layers[l] is not DropoutFamilySpec dropout) continue;
            Assert.NotNull(accessor);
            Span<float> buffer = accessor!(masks.Count);
            // [maxBatchSize, width] per element, [maxBatchSize, channels] for SpatialDropout.
            Assert.Equal(_maxBatchSize * dropout.MaskWidth(shapes[l]), buffer.Length);
            float[] mask = buffer.Slice(0, _batch * dropout.MaskWidth(shapes[l])).ToArray();
            float kept = dropout.Inverted ? (float)(1 / dropout.Keep) : 1f;
            Assert.All(mask, m => Assert.True(m == 0f || m == kept, $"{_spec}\nmask value {m}, expected 0 or {kept}"));
            if (dropout.RateValue == 0) Assert.All(mask, m => Assert.Equal(kept, m));
            masks.Add(mask);
        }
        return masks.ToArray();
    }

    /// <summary>
    /// Central differences are only meaningful where the loss is smooth: a ReLU or SELU pre-activation z that changes sign
    /// between θᵢ − h and θᵢ + h puts a kink inside the difference. So, layer by layer, each such unit's bias is shifted
    /// (as little as possible) so that, over the batch and with the training masks, every z is at least
    /// <see cref="KinkMargin"/> from 0: 0 is moved to the middle of a gap of width ≥ 2 · margin between the unit's values,
    /// or, if there is none, below all of them (the unit stays active). A step of h = 0.01 in one parameter moves a
    /// pre-activation by far less than the margin (inputs are N(0, 1), weights He/Glorot-sized), so kinks are left only
    /// where activations are unusually large; those parameters are detected and re-checked or skipped (and counted) in
    /// <see cref="CheckGradients"/>. The biases are still random: the property holds for every parameter value.
    /// A convolution filter has one value per example and output pixel, up to hundreds, among which a gap of 2 · margin
    /// is rare, and making every filter always active would leave the ReLU backward of convolutions unchecked; so a
    /// filter's 0 goes to the middle of the widest gap among its middle three fifths of values (20% to 80% of them
    /// active), and only if that leaves more room than it has now. The kinks that remain are handled in CheckGradients.
    /// </summary>
    private void MoveBiasesAwayFromKinks(float[][]? masks)
    {
        ImmutableArray<ExampleShape> shapes = _spec.Shapes;
        int dense = 0, conv = 0, reluLayer = 0;
        for (int l = 0; l < _spec.Layers.Length; l++)
        {
            (string name, Activation activation, bool isConv) = _spec.Layers[l] switch
            {
                DenseSpec d => ($"dense{++dense}", d.Activation, false),
                Conv2DSpec c => ($"conv{++conv}", c.Activation, true),
                _ => ("", Activation.None, false),
            };
            if (!ScalarReference.HasKinkAtZero(activation)) continue;
            ScalarReference.KinkLayer relu = ScalarReference.Forward(_spec, _net.Parameters, _inputs, _batch, masks).KinkPreActivations[reluLayer++];
            Assert.Equal(l, relu.Layer);
            ParameterTensor bias = _net.ParameterTensors.Single(t => t.Name == $"{name}.bias");
            ExampleShape output = shapes[l + 1];
            int units = isConv ? output.Channels : output.Width, pixels = isConv ? output.Pixels : 1, perExample = units * pixels;
            for (int j = 0; j < units; j++)
            {
                double[] values = Enumerable.Range(0, _batch * pixels).Select(k => relu.Z[k / pixels * perExample + j * pixels + k % pixels]).Order().ToArray();
                if (values.All(v => Math.Abs(v) >= KinkMargin)) continue;
                _net.Parameters[bias.Offset + j] += (float)(isConv && values.Length >= 5 ? CentralGapShift(values) : DenseShift(values));
            }
        }
    }

    /// <summary>The shift of a Dense unit's values (sorted) that puts 0 in the nearest gap of 2 · margin, or below them all.</summary>
    private static double DenseShift(double[] values)
    {
        double shift = KinkMargin - values[0]; // everything active
        for (int k = 0; k + 1 < values.Length; k++)
        {
            if (values[k + 1] - values[k] >= 2 * KinkMargin && Math.Abs((values[k] + values[k + 1]) / 2) < Math.Abs(shift))
                shift = -(values[k] + values[k + 1]) / 2;
        }
        return shift;
    }

    /// <summary>The shift of a filter's values (sorted) that puts 0 in the middle of the widest gap of the middle three fifths, or 0.</summary>
    private static double CentralGapShift(double[] values)
    {
        double room = values.Min(Math.Abs), shift = 0;
        for (int k = values.Length / 5; k + 1 < values.Length - values.Length / 5; k++)
        {
            if ((values[k + 1] - values[k]) / 2 > room)
                (room, shift) = ((values[k + 1] - values[k]) / 2, -(values[k] + values[k + 1]) / 2);
        }
        return shift;
    }

    /// <summary>How far every ReLU or SELU pre-activation is kept from 0 (see <see cref="MoveBiasesAwayFromKinks"/>).</summary>
    public const double KinkMargin = 0.2;

    /// <summary>Forward(training: true) after Reseed against the reference run with the masks that Forward drew.</summary>
    private double CheckTrainingForward(float[][] masks)
    {
        _net.Reseed(_maskSeed);
        float[] outputs = _net.Forward(_inputs, _batch, training: true).ToArray();
        return Compare("training Forward", outputs, ScalarReference.Forward(_spec, _net.Parameters, _inputs, _batch, masks));
    }

    private double Compare(string what, float[] actual, ScalarReference.Pass reference)
    {
        double worst = 0;
        for (int k = 0; k < actual.Length; k++)
        {
            double error = Math.Abs(actual[k] - reference.Outputs[k]);
            double allowed = Sigmas * reference.Sigma[k] + 1e-30;
            worst = Math.Max(worst, error / (reference.Sigma[k] + 1e-30));
            Assert.True(error <= allowed, string.Create(CultureInfo.InvariantCulture,
                $"{_spec}\n{what}, output {k}: {actual[k]:G9} vs scalar reference {reference.Outputs[k]:G9}, error {error:G3} > {Sigmas}σ = {allowed:G3}"));
        }
        return worst;
    }

    private float Loss()
    {
        _net.Reseed(_maskSeed);
        _net.Forward(_inputs, _batch, training: _gradientsInTraining);
        return _net is IClassifierNetwork classifier ? classifier.Loss(_labels) : ((IRegressionNetwork)_net).Loss(_targets);
    }

    /// <summary>
    /// Backward against central differences of the float Loss, every parameter, in training mode with the masks fixed by
    /// Reseed (or, for some networks, at inference, where dropout is its fixed scale). Tolerance:
    /// Sigmas · σ_N + Relative · max(|numeric|, |analytic|), where σ_N = σ_L · √2 / (θ⁺ − θ⁻) is the model standard
    /// deviation of the difference quotient from float rounding of the two losses (σ_L from <see cref="ScalarReference.Loss"/>).
    /// A parameter outside it is (1), if the loss has a kink within θ ± h (a ReLU or SELU pre-activation changes sign, or a
    /// pooling window's winner changes; decided with the reference at θ ± h, θ ± h/2 and θ), so that the difference
    /// quotient is not the derivative, re-checked with the largest step h/2ᵏ ≥ <see cref="KinkMinH"/> whose interval has no
    /// kink, against the same tolerance with that step's σ_N (its truncation error is 4ᵏ times smaller), and skipped
    /// (counted) when even θ ± KinkMinH holds a kink: θ is then within 1e-3 of the kink, or at it (a window whose two
    /// largest values tie within rounding — an ambiguous winner — is such a kink: the float network may route the
    /// gradient to either, and the slopes on the two sides differ); else (2) re-checked with the
    /// Richardson extrapolation (4 D(h/2) − D(h)) / 3, whose truncation error is O(h⁴) (the h² terms cancel), against
    /// Sigmas · 2.7 σ_N + RichardsonRelative · max(…), 2.7 σ_N being the rounding noise of that combination
    /// (D(h/2) carries 2 σ_N: √((4/3 · 2)² + (1/3)²) ≈ 2.7). Failing either re-check is a failure.
    /// </summary>
    private void CheckGradients(float[][]? masks, ValidNetworkStats stats)
    {
        float baseline = Loss();
        if (_net is IClassifierNetwork classifier) classifier.Backward(_labels);
        else ((IRegressionNetwork)_net).Backward(_targets);
        float[] analytic = _net.Gradients.ToArray();
        float[] parameters = _net.Parameters.ToArray();

        ScalarReference.Pass pass = ScalarReference.Forward(_spec, parameters, _inputs, _batch, masks);
        (double referenceLoss, double sigmaLoss) = ScalarReference.Loss(_spec, pass, _batch, _labels, _targets);
        Assert.True(Math.Abs(baseline - referenceLoss) <= Sigmas * sigmaLoss, string.Create(CultureInfo.InvariantCulture,
            $"{_spec}\nLoss {baseline:G9} vs reference {referenceLoss:G9} (σ {sigmaLoss:G3})"));

        bool hasKinks = pass.KinkPreActivations.Count > 0 || pass.PoolWinners.Count > 0;
        double worstPlain = 0, worstRichardson = 0, worstKink = 0;
        string worstRichardsonCase = "";
        int rechecks = 0, skips = 0, kinkRechecks = 0;
        var failures = new List<string>();
        var skipped = new List<string>();
        for (int i = 0; i < parameters.Length; i++)
        {
            float original = parameters[i];
            (double numeric, double span) = Difference(i, original, H);
            double sigma = sigmaLoss * Math.Sqrt(2) / span;
            double error = Math.Abs(numeric - analytic[i]);
            double allowed = Sigmas * sigma + Relative * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
            if (error <= allowed)
            {
                worstPlain = Math.Max(worstPlain, error / allowed);
                continue;
            }

            if (hasKinks && CrossesKink(parameters, i, masks, H))
            {
                float step = H / 2;
                while (step >= KinkMinH && CrossesKink(parameters, i, masks, step)) step /= 2;
                if (step < KinkMinH)
                {
                    skips++;
                    skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{_spec.Name} parameter {i}: analytic {analytic[i]:G6}, numeric {numeric:G6}"));
                    continue;
                }
                kinkRechecks++;
                (double smooth, double smoothSpan) = Difference(i, original, step);
                double errorK = Math.Abs(smooth - analytic[i]);
                double allowedK = Sigmas * sigmaLoss * Math.Sqrt(2) / smoothSpan + Relative * Math.Max(Math.Abs(smooth), Math.Abs(analytic[i]));
                worstKink = Math.Max(worstKink, errorK / allowedK);
                if (errorK > allowedK)
                    failures.Add(string.Create(CultureInfo.InvariantCulture,
                        $"parameter {i}: analytic {analytic[i]:G9}, central difference {numeric:G9} (h, across a kink), {smooth:G9} (h = {step:G3}, no kink); error {errorK:G3} > {allowedK:G3}"));
                continue;
            }

            worstPlain = Math.Max(worstPlain, error / allowed); // no kink: a plain failure, re-checked below
            rechecks++;
            (double half, _) = Difference(i, original, H / 2);
            double extrapolated = (4 * half - numeric) / 3;
            double errorR = Math.Abs(extrapolated - analytic[i]);
            double allowedR = Sigmas * 2.7 * sigma + RichardsonRelative * Math.Max(Math.Abs(extrapolated), Math.Abs(analytic[i]));
            if (errorR / allowedR > worstRichardson)
            {
                worstRichardson = errorR / allowedR;
                worstRichardsonCase = string.Create(CultureInfo.InvariantCulture,
                    $"{_spec} ({(_gradientsInTraining ? "training" : "inference")}), parameter {i}: analytic {analytic[i]:G9}, D(h) {numeric:G9}, D(h/2) {half:G9}, extrapolated {extrapolated:G9}, σ_N {sigma:G3}");
            }
            if (errorR > allowedR)
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"parameter {i}: analytic {analytic[i]:G9}, central difference {numeric:G9} (h), {half:G9} (h/2), extrapolated {extrapolated:G9}; error {errorR:G3} > {allowedR:G3}"));
        }

        Assert.True(failures.Count == 0, $"{_spec}\n{failures.Count} of {parameters.Length} gradients disagree:\n" + string.Join("\n", failures.Take(10)));
        stats.Add(s =>
        {
            s.Parameters += parameters.Length;
            if (_gradientsInTraining) s.TrainingModeNetworks++;
            s.RichardsonRechecks += rechecks;
            s.KinkSkips += skips;
            s.KinkRechecks += kinkRechecks;
            s.AmbiguousWindows += pass.AmbiguousWindows;
            s.WorstKinkRecheckRatio = Math.Max(s.WorstKinkRecheckRatio, worstKink);
            s.SkipLog.AddRange(skipped);
            s.WorstPlainRatio = Math.Max(s.WorstPlainRatio, worstPlain);
            if (worstRichardson > s.WorstRichardsonRatio)
            {
                s.WorstRichardsonRatio = worstRichardson;
                s.WorstRichardsonCase = worstRichardsonCase;
            }
        });
    }

    private (double Numeric, double Span) Difference(int i, float original, float h)
    {
        float plus = original + h, minus = original - h;
        _net.Parameters[i] = plus;
        double lossPlus = Loss();
        _net.Parameters[i] = minus;
        double lossMinus = Loss();
        _net.Parameters[i] = original;
        double span = (double)plus - minus;
        return ((lossPlus - lossMinus) / span, span);
    }

    /// <summary>The smallest step of a kink re-check (see <see cref="CheckGradients"/>): σ_N grows as 1/h, to ~1e-4 here.</summary>
    public const float KinkMinH = 1e-3f;

    /// <summary>
    /// Whether the loss has a kink in θᵢ ± <paramref name="h"/>, sampled at θᵢ − h, − h/2, 0, + h/2, + h with the
    /// reference: any ReLU or SELU pre-activation (any example, unit, layer) has a different sign, or any pooling window another
    /// winner, at one of them than at the first.
    /// </summary>
    private bool CrossesKink(float[] parameters, int i, float[][]? masks, float h)
    {
        float original = parameters[i];
        ScalarReference.Pass? first = null;
        try
        {
            foreach (float step in new[] { -h, -h / 2, 0, h / 2, h })
            {
                parameters[i] = original + step;
                ScalarReference.Pass pass = ScalarReference.Forward(_spec, parameters, _inputs, _batch, masks);
                if (first is null) { first = pass; continue; }
                for (int l = 0; l < pass.KinkPreActivations.Count; l++)
                    for (int k = 0; k < pass.KinkPreActivations[l].Z.Length; k++)
                        if (pass.KinkPreActivations[l].Z[k] > 0 != first.KinkPreActivations[l].Z[k] > 0) return true;
                for (int l = 0; l < pass.PoolWinners.Count; l++)
                    if (!pass.PoolWinners[l].AsSpan().SequenceEqual(first.PoolWinners[l])) return true;
            }
            return false;
        }
        finally
        {
            parameters[i] = original;
        }
    }
}

/// <summary>One random valid network and how it is run.</summary>
/// <param name="Spec">The declaration.</param>
/// <param name="Batch">Examples in the checked batch (1..5).</param>
/// <param name="ExtraCapacity">maxBatchSize − Batch (0..3), so a batch smaller than the buffers is exercised too.</param>
/// <param name="WeightSeed">The constructor seed.</param>
/// <param name="MaskSeed">The seed passed to Reseed before every training Forward.</param>
/// <param name="DataSeed">Seeds inputs, labels or targets, and the bias offsets.</param>
/// <param name="GradientsInTraining">Whether the gradient check runs in training mode (masks fixed by Reseed) or at inference.</param>
internal sealed record ValidCase(NetworkSpec Spec, int Batch, int ExtraCapacity, ulong WeightSeed, ulong MaskSeed, ulong DataSeed, bool GradientsInTraining)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Spec} batch {Batch} (max {Batch + ExtraCapacity}), seeds {WeightSeed}/{MaskSeed}/{DataSeed}, gradients {(GradientsInTraining ? "in training" : "at inference")}\n{Spec.Render()}");
}
