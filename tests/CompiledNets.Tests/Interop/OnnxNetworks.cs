// Networks for the ONNX tests, compiled by the generator like any user's network. Together they cover every
// activation (None, ReLU, Tanh, Sigmoid), every layer kind (Dense, Dropout with both scalings on the input, after a
// Dense and after an image layer, Conv2D Valid and Same with strides 1 and 2 and odd total padding, MaxPool2D side by
// side and overlapping, SpatialDropout with both scalings, Dense reading an image) and both losses.
namespace CompiledNets.Tests.Interop;

/// <summary>Every activation, input dropout, AtInference and Inverted dropout after Dense layers.</summary>
[Network(6)]
[Dropout(0.2)]
[Dense(7, Activation.ReLU)]
[Dropout(0.3)]
[Dense(5, Activation.Tanh)]
[Dropout(0.25, Scaling = DropoutScaling.Inverted)]
[Dense(4, Activation.Sigmoid)]
[Dense(3)]
public partial class OnnxMlpNet;

/// <summary>Regression: raw outputs, no softmax.</summary>
[Network(5, Loss = LossFunction.MeanSquaredError)]
[Dense(6, Activation.Tanh)]
[Dropout(0.4)]
[Dense(2, Activation.Sigmoid)]
public partial class OnnxRegressionNet;

/// <summary>Valid convolutions with strides 1 and 2 (the second leaves a row and a column unread), then Dense on the image.</summary>
[Network(2, 7, 6)]
[Conv2D(3, 3, Activation.ReLU)]
[Conv2D(2, 2, Activation.Sigmoid, Stride = 2)]
[Dense(3)]
public partial class OnnxValidConvNet;

/// <summary>Same convolutions: stride 2 with odd total padding on the rows, and an even kernel at stride 1 (padding only at the bottom and right).</summary>
[Network(1, 6, 5)]
[Conv2D(3, 3, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
[Conv2D(2, 2, Padding = Padding.Same)]
[Dense(4, Activation.ReLU)]
[Dense(3)]
public partial class OnnxSameConvNet;

/// <summary>Overlapping pooling, spatial dropout with both scalings, per-element dropout after pooling.</summary>
[Network(3, 9, 9)]
[Conv2D(4, 3, Activation.ReLU, Padding = Padding.Same)]
[MaxPool2D(3, Stride = 2)]
[SpatialDropout(0.3)]
[Conv2D(3, 1, Activation.Tanh)]
[SpatialDropout(0.2, Scaling = DropoutScaling.Inverted)]
[MaxPool2D(2)]
[Dropout(0.4)]
[Dense(5, Activation.Sigmoid)]
[Dropout(0.5, Scaling = DropoutScaling.Inverted)]
[Dense(3)]
public partial class OnnxPoolDropoutNet;

/// <summary>Image regression with input dropout and an inverted per-element dropout after pooling.</summary>
[Network(2, 4, 4, Loss = LossFunction.MeanSquaredError)]
[Dropout(0.1)]
[Conv2D(3, 3, Activation.Sigmoid, Padding = Padding.Same)]
[MaxPool2D(2)]
[Dropout(0.25, Scaling = DropoutScaling.Inverted)]
[Dense(2)]
public partial class OnnxImageRegressionNet;

/// <summary>The architecture of make_onnx_fixtures.py's MLP (PyTorch: fc1, fc2, fc3 with nn.Dropout, which is inverted).</summary>
[Network(10)]
[Dense(16, Activation.ReLU)]
[Dropout(0.3, Scaling = DropoutScaling.Inverted)]
[Dense(8, Activation.Tanh)]
[Dense(4)]
public partial class PyTorchOnnxMlp;

/// <summary>
/// The architecture of make_onnx_fixtures.py's CNN (an nn.Sequential): a TensorFlow Same convolution with odd total
/// padding (nn.ZeroPad2d then a valid Conv2d), overlapping max pooling, Dropout2d, a symmetric-padded stride-2 convolution,
/// Flatten and two Linear layers with Sigmoid between them.
/// </summary>
[Network(2, 8, 7)]
[Conv2D(4, 2, Activation.ReLU, Padding = Padding.Same)]
[MaxPool2D(3, Stride = 2)]
[SpatialDropout(0.25, Scaling = DropoutScaling.Inverted)]
[Conv2D(3, 3, Activation.Tanh, Stride = 2, Padding = Padding.Same)]
[Dense(6, Activation.Sigmoid)]
[Dense(3)]
public partial class PyTorchOnnxCnn;

/// <summary>
/// As <see cref="PyTorchOnnxMlp"/> but with the default AtInference dropout, which multiplies by p at inference: not
/// the function PyTorch's (inverted) model computes, so its file is refused with a hint.
/// </summary>
[Network(10)]
[Dense(16, Activation.ReLU)]
[Dropout(0.3)]
[Dense(8, Activation.Tanh)]
[Dense(4)]
public partial class PyTorchOnnxMlpAtInference;

/// <summary>
/// SELU and the noise layers of the dropout family (identity at inference, so no node): Gaussian noise on the inputs,
/// AlphaDropout after a SELU Dense, Gaussian dropout after a SELU convolution.
/// </summary>
[Network(2, 6, 6)]
[GaussianNoise(0.1)]
[Conv2D(3, 3, Activation.SELU, Padding = Padding.Same)]
[GaussianDropout(0.3)]
[MaxPool2D(2)]
[Dense(8, Activation.SELU)]
[AlphaDropout(0.2)]
[Dense(4)]
public partial class OnnxNoiseFamilyNet;

/// <summary>Mean-weight DropConnect: each such Dense is a Gemm with alpha = p.</summary>
[Network(6)]
[Dense(7, Activation.ReLU, DropConnect = 0.4, DropConnectInference = DropConnectInference.MeanWeight)]
[Dropout(0.2)]
[Dense(3, DropConnect = 0.25, DropConnectInference = DropConnectInference.MeanWeight)]
public partial class OnnxMeanWeightDropConnectNet;

/// <summary>Moment-matching DropConnect (the default rule), which ONNX cannot express.</summary>
[Network(6)]
[Dense(7, Activation.ReLU)]
[Dense(5, Activation.ReLU, DropConnect = 0.5)]
[Dense(3)]
public partial class OnnxMomentMatchingDropConnectNet;
/// <summary>Concrete dropout on the inputs and after a Dense (identity at inference, so no node; the learned logit is not saved).</summary>
[Network(6)]
[ConcreteDropout(0.2)]
[Dense(5, Activation.ReLU)]
[ConcreteDropout(0.4)]
[Dense(3)]
public partial class OnnxConcreteDropoutNet;
