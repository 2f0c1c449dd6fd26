namespace CompiledNets.Tests.Generator;

/// <summary>Network declarations shared by the snapshot, compile and caching tests.</summary>
internal static class NetworkSources
{
    /// <summary>The dropout tutorial's network, as in DESIGN.md.</summary>
    public const string Reference = """
        using CompiledNets;

        namespace Samples.Mnist;

        [Network(784)]
        [Dense(200, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(100, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(10)]
        public partial class MnistNet;
        """;

    /// <summary>LeNet as in DESIGN.md: convolution, pooling, spatial dropout, then the dense part.</summary>
    public const string LeNet = """
        using CompiledNets;

        namespace Samples.Images;

        [Network(1, 28, 28)]
        [Conv2D(6, 5, Activation.ReLU)]
        [MaxPool2D(2)]
        [Conv2D(16, 5, Activation.ReLU)]
        [MaxPool2D(2)]
        [SpatialDropout(0.2)]
        [Dense(120, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(84, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(10)]
        public partial class LeNet;
        """;

    /// <summary>The other image paths: Same padding with stride 2, overlapping pooling, dropout per element after an
    /// image layer (inverted), two convolutions in a row (no fusion), a convolution straight into a Dense (fusion).</summary>
    public const string ImageVariety = """
        using CompiledNets;

        namespace Samples.Images;

        [Network(3, 11, 9)]
        [Conv2D(4, 3, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
        [Conv2D(5, 2, Activation.Sigmoid)]
        [MaxPool2D(3, Stride = 2)]
        [Dropout(0.25, Scaling = DropoutScaling.Inverted)]
        [Conv2D(3, 1, Activation.ReLU)]
        [Dense(4)]
        public partial class ImageVarietyNet;
        """;

    /// <summary>The noise members of the dropout family (Gaussian dropout, Gaussian noise, alpha dropout after SELU).</summary>
    public const string NoiseFamily = """
        using CompiledNets;

        namespace Samples;

        [Network(1, 6, 6)]
        [Conv2D(2, 3, Activation.ReLU)]
        [GaussianDropout(0.25)]
        [Dense(8, Activation.Tanh)]
        [GaussianDropout(0.5)]
        [Dense(5, Activation.ReLU)]
        [GaussianNoise(0.1)]
        [Dense(4, Activation.SELU)]
        [AlphaDropout(0.2)]
        [Dense(3)]
        public partial class NoiseFamilyNet;
        """;

    /// <summary>Concrete dropout (learned rate) on the input, after a Dense and after a convolution, before a Conv2D and Dense layers.</summary>
    public const string ConcreteDropout = """
        using CompiledNets;

        namespace Samples;

        [Network(1, 6, 6)]
        [ConcreteDropout(0.1)]
        [Conv2D(2, 3, Activation.ReLU)]
        [ConcreteDropout(0.25, WeightRegularizer = 0.001, DropoutRegularizer = 0.002)]
        [Dense(8, Activation.Tanh)]
        [ConcreteDropout(0.5)]
        [Dense(3)]
        public partial class ConcreteDropoutNet;
        """;

    public const string InputDropout = """
        using CompiledNets;

        namespace Samples;

        [Network(6)]
        [Dropout(0.2)]
        [Dense(4, Activation.Tanh)]
        [Dense(3)]
        public partial class InputDropoutNet;
        """;

    public const string MeanSquaredError = """
        using CompiledNets;

        namespace Samples;

        [Network(5, Loss = LossFunction.MeanSquaredError)]
        [Dense(8, Activation.Sigmoid)]
        [Dropout(0.25)]
        [Dense(2)]
        public partial class RegressionNet;
        """;

    public const string InvertedScaling = """
        using CompiledNets;

        namespace Samples;

        [Network(8)]
        [Dropout(0.1, Scaling = DropoutScaling.Inverted)]
        [Dense(16, Activation.ReLU)]
        [Dropout(0.3, Scaling = DropoutScaling.Inverted)]
        [Dense(4)]
        public partial class InvertedNet;
        """;

    /// <summary>Max-norm on both hidden layers (not on the output), after dropout as in Srivastava et al.</summary>
    public const string MaxNorm = """
        using CompiledNets;

        namespace Samples;

        [Network(6)]
        [Dropout(0.2)]
        [Dense(5, Activation.ReLU, MaxNorm = 3.0)]
        [Dropout(0.5)]
        [Dense(4, Activation.ReLU, MaxNorm = 0.1)]
        [Dense(3)]
        public partial class MaxNormNet;
        """;

    /// <summary>Max-norm on a convolution's filters (rows of its kernel tensor) and on the dense layer after it.</summary>
    public const string MaxNormConv = """
        using CompiledNets;

        namespace Samples;

        [Network(1, 8, 8)]
        [Conv2D(3, 3, Activation.ReLU, MaxNorm = 2.5)]
        [MaxPool2D(2)]
        [Dense(4, Activation.ReLU, MaxNorm = 3)]
        [Dense(2)]
        public partial class MaxNormConvNet;
        """;

    /// <summary>
    /// DropConnect on the first layer (after input dropout, no input gradient) with a dropout after it, mean-weight
    /// inference with max-norm on the second, and on the logits (no activation: the moment-matched average is the mean).
    /// </summary>
    public const string DropConnect = """
        using CompiledNets;

        namespace Samples;

        [Network(6)]
        [Dropout(0.2)]
        [Dense(8, Activation.ReLU, DropConnect = 0.5)]
        [Dropout(0.5)]
        [Dense(5, Activation.Tanh, MaxNorm = 2, DropConnect = 0.3, DropConnectInference = DropConnectInference.MeanWeight)]
        [Dense(3, DropConnect = 0.25, DropConnectSamples = 16)]
        public partial class DropConnectNet;
        """;

    public const string SingleDense = """
        using CompiledNets;

        namespace Samples;

        [Network(3)]
        [Dense(2)]
        public partial class LogisticNet;
        """;

    public const string GlobalNamespace = """
        using CompiledNets;

        [Network(4)]
        [Dense(5, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(2)]
        public partial class GlobalNet;
        """;

    public const string PartialRecord = """
        using CompiledNets;

        namespace Samples;

        [Network(4)]
        [Dense(3, Activation.Tanh)]
        [Dropout(0.5)]
        [Dense(2)]
        public partial record RecordNet;
        """;

    /// <summary>The tutorial's initialization: truncated normal σ = 0.1 weights, biases 1.</summary>
    public const string TutorialInit = """
        using CompiledNets;

        namespace Samples;

        [Network(784)]
        [Dense(200, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
        [Dropout(0.5)]
        [Dense(100, Activation.ReLU, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
        [Dropout(0.5)]
        [Dense(10, WeightInit = WeightInit.TruncatedNormal, WeightStdDev = 0.1, BiasInit = 1)]
        public partial class TutorialNet;
        """;

    /// <summary>The five networks of Networks/TestNetworks.cs, copied into another namespace.</summary>
    public const string TestNetworks = """
        using CompiledNets;

        namespace Copies;

        /// <summary>The dropout tutorial's network: 784-200-100-10, ReLU, dropout 0.5 on both hidden layers.</summary>
        [Network(784)]
        [Dense(200, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(100, Activation.ReLU)]
        [Dropout(0.5)]
        [Dense(10)]
        public partial class ReferenceNet;

        /// <summary>Small, with every activation, input dropout and both scaling rules, for gradient checks.</summary>
        [Network(7)]
        [Dropout(0.25)]
        [Dense(9, Activation.Tanh)]
        [Dropout(0.5, Scaling = DropoutScaling.Inverted)]
        [Dense(6, Activation.Sigmoid)]
        [Dropout(0.3)]
        [Dense(5, Activation.ReLU)]
        [Dense(3)]
        public partial class SmallMixedNet;

        /// <summary>A small regression network on mean squared error.</summary>
        [Network(5, Loss = LossFunction.MeanSquaredError)]
        [Dense(8, Activation.Tanh)]
        [Dropout(0.2)]
        [Dense(3)]
        public partial class SmallRegressionNet;

        /// <summary>A purely linear network with dropout, where inference must equal the mean of training outputs exactly.</summary>
        [Network(4)]
        [Dropout(0.4)]
        [Dense(3)]
        [Dropout(0.6)]
        [Dense(2)]
        public partial class LinearAtInferenceNet;

        /// <summary>As <see cref="LinearAtInferenceNet"/>, with inverted scaling.</summary>
        [Network(4)]
        [Dropout(0.4, Scaling = DropoutScaling.Inverted)]
        [Dense(3)]
        [Dropout(0.6, Scaling = DropoutScaling.Inverted)]
        [Dense(2)]
        public partial class LinearInvertedNet;
        """;
}
