using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using CompiledNets.Tests.Generator;
using CsCheck;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// Random invalid declarations, each a random valid one with exactly one mistake: the generator must report exactly the
/// expected CNN diagnostics, as errors, at the expected attribute or class name, emit nothing, and never throw.
/// </summary>
/// <remarks>
/// Declarations are batched, 25 to a compilation, each in its own file and namespace, so every diagnostic is attributed
/// by its file. New declarations every run; a failure prints the seed to replay with the environment variable
/// <c>CsCheck_Seed</c>; <c>COMPILEDNETS_PROPERTY_INVALID_COMPILATIONS</c> sets the number of compilations.
/// </remarks>
public class InvalidDeclarationProperties(ITestOutputHelper output)
{
    private const int DeclarationsPerCompilation = 25;
    private static readonly int s_compilations = PropertySettings.Int("COMPILEDNETS_PROPERTY_INVALID_COMPILATIONS", 16);

    private static readonly Gen<InvalidCase[]> s_batch =
        Gen.Select(NetworkGen.Valid("Bad"), Gen.Int[0, Mutations.Count - 1], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue])
            .Select((spec, kind, a, b) => Mutations.Apply(spec, kind, a, b))
            .Array[DeclarationsPerCompilation]
            .Select(cases => cases.Select((c, i) => c with
            {
                Spec = c.Spec with { Namespace = "Invalid" + i.ToString(CultureInfo.InvariantCulture) },
            }).ToArray());

    [Fact]
    public void Every_random_mistake_is_reported_with_its_id_at_its_attribute_and_nothing_is_generated()
    {
        int declarations = 0;
        var perKind = new int[Mutations.Count];
        Check.Sample(
            s_batch,
            cases =>
            {
                GeneratorRun run = TestCompilation.Run(cases.Select(c => c.Spec.Render()).ToArray());
                run.AssertNoGeneratorException();
                Assert.True(run.Sources.Length == 0, "generated for an invalid declaration: " + string.Join(", ", run.Sources.Select(s => s.HintName)));
                Diagnostic[] compilerErrors = run.OutputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
                Assert.True(compilerErrors.Length == 0, "The mutated sources do not compile:\n" + string.Join("\n", compilerErrors.Take(10)));

                for (int i = 0; i < cases.Length; i++)
                {
                    string file = $"Source{i}.cs";
                    Diagnostic[] reported = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path == file).ToArray();
                    InvalidCase c = cases[i];
                    string Describe() => $"{c.Kind}\n{c.Spec.Render()}\nreported:\n{string.Join("\n", reported.Select(d => d.ToString()))}";

                    Assert.True(
                        c.Expected.Select(e => (e.Id, e.Text)).Order().SequenceEqual(reported.Select(d => (d.Id, run.LocatedText(d))).Order()),
                        $"expected {string.Join(", ", c.Expected)}\n{Describe()}");
                    foreach (Diagnostic d in reported)
                    {
                        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
                        string message = d.GetMessage(CultureInfo.InvariantCulture);
                        Assert.DoesNotContain("{", message, StringComparison.Ordinal);
                        if (c.MessageContains is { } fragment)
                            Assert.True(message.Contains(fragment, StringComparison.Ordinal), $"message '{message}' lacks '{fragment}'\n{Describe()}");
                    }
                    Interlocked.Increment(ref declarations);
                    Interlocked.Increment(ref perKind[Mutations.KindIndex(c.Kind)]);
                }
                Assert.Equal(cases.Sum(c => c.Expected.Length), run.GeneratorDiagnostics.Length);
            },
            iter: s_compilations,
            threads: 2,
            print: cases => string.Join("\n\n", cases.Select(c => $"{c.Kind}: expected {string.Join(", ", c.Expected)}\n{c.Spec.Render()}")));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{declarations} random invalid declarations in {s_compilations} compilations, by mistake: ") +
            string.Join(", ", Mutations.Kinds.Select((k, i) => $"{k} {perKind[i]}")));
        Assert.Equal(s_compilations * DeclarationsPerCompilation, declarations);
    }
}

/// <summary>Cases the random properties found, kept as plain tests.</summary>
public class InvalidDeclarationFindings
{
    [Fact]
    public void Too_large_is_reported_with_the_full_parameter_count()
    {
        GeneratorRun run = TestCompilation.Run("""
            using CompiledNets;
            namespace Samples;
            [Network(2147483647)]
            [Dense(57, Activation.Tanh)]
            [Dense(4, Activation.Sigmoid)]
            public partial class WideNet;
            """);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0015", diagnostic.Id);
        // 2147483647 × 57 + 57 + 57 × 4 + 4
        Assert.Contains("has 122406568168 parameters", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}

/// <summary>A diagnostic a mutated declaration must produce: its id and the source text it points at.</summary>
internal sealed record ExpectedDiagnostic(string Id, string Text)
{
    public override string ToString() => $"{Id} at '{Text}'";
}

/// <summary>An invalid declaration and what the generator must say about it.</summary>
internal sealed record InvalidCase(string Kind, NetworkSpec Spec, ImmutableArray<ExpectedDiagnostic> Expected, string? MessageContains = null);

/// <summary>One mistake each, applied to a valid declaration.</summary>
internal static class Mutations
{
    private const long MaxArrayLength = 0x7FFFFFC7;

    public static readonly string[] Kinds =
    [
        "NotPartial", "NoDenseLayer", "InputsNotPositive", "UnitsNotPositive", "RateOutOfRange", "DropoutAfterDropout",
        "LayersOnOtherPart", "OneClassSoftmax", "Nested", "Generic", "Static", "UndefinedEnum", "BadWeightStdDev",
        "BadBiasInit", "NoNetworkAttribute", "TooLarge", "PrimaryConstructor", "ReservedName",
        "ImageLayerOnVector", "WindowTooLarge", "ImageSettingNotPositive", "SpatialDropoutAfterDense",
    ];

    public static int Count => Kinds.Length;

    public static int KindIndex(string kind) => Array.IndexOf(Kinds, kind);

    private static readonly int[] s_badCounts = [0, -1, -17, int.MinValue];
    private static readonly double[] s_badRates = [1, 1.5, -0.1, -1e-300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1.0000000001, 100];
    // Invalid as the float the generated code uses: 0, negative, NaN, infinite, or rounding to 0 or ∞ as a float.
    private static readonly double[] s_badStdDevs = [0, -0.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-50, 1e39];
    private static readonly double[] s_badBiases = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e39, -1e39];
    private static readonly string[] s_reserved =
        ["Forward", "Backward", "Loss", "Parameters", "Gradients", "Predict", "Reseed", "TrainStep", "InputSize", "Rows", "Dense1Weights", "Dense1BiasGradients", "_dense1", "_dDense1", "Threads", "_threads"];

    /// <param name="a">Random choices (which layer, which bad value, …).</param>
    /// <param name="b">More random choices.</param>
    public static InvalidCase Apply(NetworkSpec spec, int kind, int a, int b)
    {
        ImmutableArray<LayerSpec> layers = spec.Layers;
        int[] denseIndices = Enumerable.Range(0, layers.Length).Where(i => layers[i] is DenseSpec).ToArray();
        int pickDense = denseIndices.Length == 0 ? -1 : denseIndices[a % denseIndices.Length];
        string name = spec.Name;
        ExpectedDiagnostic AtName(string id) => new(id, name);
        static ImmutableArray<ExpectedDiagnostic> One(ExpectedDiagnostic d) => [d];

        switch (Kinds[kind])
        {
            case "NotPartial":
                spec = spec with { Declaration = spec.Declaration.Replace("partial ", "", StringComparison.Ordinal) };
                return new("NotPartial", spec, One(AtName("CNN0001")));

            case "NoDenseLayer":
            {
                // At most one dropout left (two would also be dropout-after-dropout).
                LayerSpec[] kept = layers.OfType<DropoutSpec>().Take(a % 2).ToArray<LayerSpec>();
                return new("NoDenseLayer", spec with { Layers = [.. kept] }, One(AtName("CNN0002")));
            }

            case "InputsNotPositive":
                if (spec.Image is { } image)
                {
                    // One bad dimension. The generator then reads the image as 1×1×1, so the image layers go (they would
                    // not fit it): the network is [Network(c, h, w)] and its Dense part, which reads any input.
                    int bad = s_badCounts[a % s_badCounts.Length];
                    image = (b % 3) switch { 0 => image with { Channels = bad }, 1 => image with { Height = bad }, _ => image with { Width = bad } };
                    spec = spec with { Image = image, Layers = layers[denseIndices[0]..] };
                    return new("InputsNotPositive", spec, One(new("CNN0022", spec.NetworkAttribute)), "must have at least 1 channel");
                }
                spec = spec with { Inputs = s_badCounts[a % s_badCounts.Length] };
                return new("InputsNotPositive", spec, One(new("CNN0003", spec.NetworkAttribute)));

            case "UnitsNotPositive":
            {
                var dense = (DenseSpec)layers[pickDense] with { Units = s_badCounts[b % s_badCounts.Length] };
                spec = spec with { Layers = layers.SetItem(pickDense, dense) };
                return new("UnitsNotPositive", spec, One(new("CNN0004", dense.Attribute)), dense.Units.ToString(CultureInfo.InvariantCulture));
            }

            case "RateOutOfRange":
            {
                double rate = s_badRates[b % s_badRates.Length];
                (ImmutableArray<LayerSpec> withDropout, int at) = EnsureDropout(layers, a);
                var dropout = DropoutSpec.Of(rate, ((DropoutSpec)withDropout[at]).Scaling, ((DropoutSpec)withDropout[at]).ExplicitScaling);
                spec = spec with { Layers = withDropout.SetItem(at, dropout) };
                return new("RateOutOfRange", spec, One(new("CNN0005", dropout.Attribute)));
            }

            case "DropoutAfterDropout":
            {
                (ImmutableArray<LayerSpec> withDropout, int at) = EnsureDropout(layers, a);
                var first = (DropoutSpec)withDropout[at];
                var second = DropoutSpec.Of((b % 95) / 100.0, (DropoutScaling)(b / 95 % 2), b / 190 % 2 == 0);
                spec = spec with { Layers = withDropout.Insert(at + 1, second) };
                double combined = 1 - (1 - first.RateValue) * (1 - second.RateValue);
                return new("DropoutAfterDropout", spec, One(new("CNN0006", second.Attribute)), combined.ToString("R", CultureInfo.InvariantCulture));
            }

            case "LayersOnOtherPart":
            {
                int split = a % layers.Length;
                spec = spec with { SplitAt = split };
                return new("LayersOnOtherPart", spec, [.. layers.Skip(split).Select(l => new ExpectedDiagnostic("CNN0007", l.Attribute))]);
            }

            case "OneClassSoftmax":
            {
                int last = denseIndices[^1];
                var dense = (DenseSpec)layers[last] with { Units = 1 };
                spec = spec with { Loss = LossFunction.SoftmaxCrossEntropy, ExplicitLoss = a % 2 == 0, Layers = layers.SetItem(last, dense) };
                return new("OneClassSoftmax", spec, One(new("CNN0008", dense.Attribute)));
            }

            case "Nested":
                return new("Nested", spec with { Outer = "Outer" }, One(AtName("CNN0009")));

            case "Generic":
                return new("Generic", spec with { NameSuffix = a % 2 == 0 ? "<T>" : "<TInput, TOutput>" }, One(AtName("CNN0010")));

            case "Static":
                return new("Static", spec with { Declaration = a % 2 == 0 ? "public static partial class" : "internal static partial class" }, One(AtName("CNN0011")));

            case "UndefinedEnum":
            {
                int[] undefined = [5, 42, -1, int.MaxValue, int.MinValue];
                int value = undefined[b % undefined.Length];
                switch (a % 4)
                {
                    case 0:
                    {
                        var dense = (DenseSpec)layers[pickDense] with { Activation = (Activation)value };
                        spec = spec with { Layers = layers.SetItem(pickDense, dense) };
                        return new("UndefinedEnum", spec, One(new("CNN0012", dense.Attribute)), $"{value.ToString(CultureInfo.InvariantCulture)} is not a defined Activation value");
                    }
                    case 1:
                    {
                        var dense = (DenseSpec)layers[pickDense] with { WeightInit = (WeightInit)value };
                        spec = spec with { Layers = layers.SetItem(pickDense, dense) };
                        return new("UndefinedEnum", spec, One(new("CNN0012", dense.Attribute)), "WeightInit");
                    }
                    case 2:
                    {
                        (ImmutableArray<LayerSpec> withDropout, int at) = EnsureDropout(layers, b);
                        var dropout = (DropoutSpec)withDropout[at] with { Scaling = (DropoutScaling)value };
                        spec = spec with { Layers = withDropout.SetItem(at, dropout) };
                        return new("UndefinedEnum", spec, One(new("CNN0012", dropout.Attribute)), "DropoutScaling");
                    }
                    default:
                    {
                        // An undefined loss falls back to softmax cross-entropy: keep at least 2 outputs so that is valid.
                        int last = denseIndices[^1];
                        var dense = (DenseSpec)layers[last];
                        spec = spec with { Loss = (LossFunction)value, Layers = layers.SetItem(last, dense with { Units = Math.Max(2, dense.Units) }) };
                        return new("UndefinedEnum", spec, One(new("CNN0012", spec.NetworkAttribute)), "LossFunction");
                    }
                }
            }

            case "BadWeightStdDev":
            {
                var dense = (DenseSpec)layers[pickDense] with { WeightStdDev = Literal.Double(s_badStdDevs[b % s_badStdDevs.Length]) };
                spec = spec with { Layers = layers.SetItem(pickDense, dense) };
                return new("BadWeightStdDev", spec, One(new("CNN0013", dense.Attribute)), "WeightStdDev");
            }

            case "BadBiasInit":
            {
                var dense = (DenseSpec)layers[pickDense] with { BiasInit = Literal.Double(s_badBiases[b % s_badBiases.Length]) };
                spec = spec with { Layers = layers.SetItem(pickDense, dense) };
                return new("BadBiasInit", spec, One(new("CNN0013", dense.Attribute)), "BiasInit");
            }

            case "NoNetworkAttribute":
                return new("NoNetworkAttribute", spec with { HasNetworkAttribute = false },
                    [.. layers.Select(l => new ExpectedDiagnostic("CNN0014", l.Attribute))]);

            case "TooLarge":
            {
                // More parameters than one float[] holds: inputs × units of the first Dense layer alone exceed it. An image
                // input grows instead (a larger image keeps every kernel and window fitting) and stays one array's worth.
                if (spec.Image is { } big)
                    spec = spec with { Image = big with { Height = 1000 + a % 500, Width = 1000 + b % 500 } };
                else
                    spec = spec with { Inputs = a % 2 == 0 ? int.MaxValue : 46341 + b % 100000 };
                int first = denseIndices[0];
                var dense = (DenseSpec)layers[first];
                long inputs = spec.Shapes[first].Size;
                int units = (int)Math.Max(Math.Max(dense.Units, 2), MaxArrayLength / inputs + 1); // ≥ 2: a valid softmax output if it is the last
                spec = spec with { Layers = layers.SetItem(first, dense with { Units = units }) };
                // Not the exact count: the generator stops counting once past the limit (see the skipped test below).
                return new("TooLarge", spec, One(new("CNN0015", spec.NetworkAttribute)), "more than one array can hold (2147483591)");
            }

            case "PrimaryConstructor":
                return new("PrimaryConstructor", spec with { NameSuffix = spec.Declaration.EndsWith("record", StringComparison.Ordinal) ? "(int Size)" : "(int size)" },
                    One(AtName("CNN0016")));

            case "ReservedName":
                name = s_reserved[a % s_reserved.Length];
                return new("ReservedName", spec with { Name = name }, One(AtName("CNN0017")));

            case "ImageLayerOnVector":
            {
                // A Conv2D or MaxPool2D after a Dense layer (which gives a flat vector), then a Dense to read it, so that
                // the network still ends as it did.
                LayerSpec inserted = a % 2 == 0 ? new Conv2DSpec(1 + b % 3, 1, Activation.ReLU) : new MaxPool2DSpec(1);
                int at = denseIndices[0] + 1;
                spec = spec with { Layers = layers.Insert(at, inserted).Insert(at + 1, new DenseSpec(4, Activation.ReLU)) };
                return new("ImageLayerOnVector", spec, One(new("CNN0018", inserted.Attribute)), "gives a flat vector");
            }

            case "WindowTooLarge":
            {
                // The last image layer's kernel or window grows past its input (Valid padding): nothing after it is an
                // image layer, so no other layer is affected.
                (spec, layers) = WithImageLayer(spec, layers);
                int last = Enumerable.Range(0, layers.Length).Last(i => layers[i].IsImageLayer);
                ExampleShape input = spec.Shapes[last];
                int size = Math.Max(input.Height, input.Width) + 1 + b % 3;
                LayerSpec grown = layers[last] switch
                {
                    Conv2DSpec conv => conv with { KernelSize = size, Padding = Padding.Valid },
                    MaxPool2DSpec pool => pool with { Size = size },
                    var other => throw new InvalidOperationException(other.ToString()),
                };
                spec = spec with { Layers = layers.SetItem(last, grown) };
                return new("WindowTooLarge", spec, One(new("CNN0019", grown.Attribute)), "does not fit its input");
            }

            case "ImageSettingNotPositive":
            {
                // Filters, kernel or stride of a Conv2D, window or stride of a MaxPool2D below 1 (a MaxPool2D stride of 0
                // is the default, the window). The generator reads a bad setting as 1, which only makes later images larger.
                (spec, layers) = WithImageLayer(spec, layers);
                int[] imageIndices = Enumerable.Range(0, layers.Length).Where(i => layers[i].IsImageLayer).ToArray();
                int at = imageIndices[a % imageIndices.Length];
                int bad = s_badCounts[b % s_badCounts.Length];
                LayerSpec broken = layers[at] switch
                {
                    Conv2DSpec conv => (b / 4 % 3) switch
                    {
                        0 => conv with { Filters = bad },
                        1 => conv with { KernelSize = bad },
                        _ => conv with { Stride = bad, ExplicitStride = true },
                    },
                    MaxPool2DSpec pool => b / 4 % 2 == 0 ? pool with { Size = bad } : pool with { Stride = bad == 0 ? -1 : bad },
                    var other => throw new InvalidOperationException(other.ToString()),
                };
                spec = spec with { Layers = layers.SetItem(at, broken) };
                return new("ImageSettingNotPositive", spec, One(new("CNN0020", broken.Attribute)), "must be at least 1");
            }

            case "SpatialDropoutAfterDense":
            {
                // A SpatialDropout in a Dense layer's dropout place (replacing its Dropout, if it has one).
                var spatial = SpatialDropoutSpec.Of((b % 95) / 100.0, (DropoutScaling)(b / 95 % 2), b / 190 % 2 == 0);
                int at = pickDense + 1;
                spec = spec with
                {
                    Layers = at < layers.Length && layers[at] is DropoutSpec ? layers.SetItem(at, spatial) : layers.Insert(at, spatial),
                };
                return new("SpatialDropoutAfterDense", spec, One(new("CNN0021", spatial.Attribute)), "cannot follow");
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>
    /// The declaration itself if it has an image layer; else a multilayer perceptron turned into a convolutional network:
    /// its input as a 1×1×width image (width at most 2^20), a Conv2D(2, 1) first.
    /// </summary>
    private static (NetworkSpec Spec, ImmutableArray<LayerSpec> Layers) WithImageLayer(NetworkSpec spec, ImmutableArray<LayerSpec> layers)
    {
        if (spec.HasImageLayers) return (spec, layers);
        layers = layers.Insert(0, new Conv2DSpec(2, 1, Activation.ReLU));
        // At most 2^20 columns: a width another mistake made too large for an array would be a second mistake here.
        return (spec with { Image = new ImageSize(1, 1, Math.Clamp(spec.Inputs, 1, 1 << 20)), Layers = layers }, layers);
    }

    /// <summary>
    /// The layers with a dropout at a random allowed place (an existing one, or a new one on the inputs or after a dense
    /// layer that has none), and its index.
    /// </summary>
    private static (ImmutableArray<LayerSpec> Layers, int Index) EnsureDropout(ImmutableArray<LayerSpec> layers, int choice)
    {
        // Slots: -1 (the inputs) and each dense layer's index; a slot holds a dropout if the next layer is one.
        int[] slots = [-1, .. Enumerable.Range(0, layers.Length).Where(i => layers[i] is DenseSpec)];
        int slot = slots[choice % slots.Length];
        int at = slot + 1;
        if (at < layers.Length && layers[at] is DropoutSpec) return (layers, at);
        return (layers.Insert(at, DropoutSpec.Of(0.5, (DropoutScaling)(choice / 7 % 2))), at);
    }
}
