namespace CompiledNets.Generator.Model;

// Mirrors of the runtime's enums (the generator cannot reference the runtime assembly). The values must
// match CompiledNets.Activation, LossFunction, DropoutScaling, WeightInit, Padding and DropConnectInference; a test checks that they do.

internal enum ActivationKind
{
    None = 0,
    ReLU = 1,
    Tanh = 2,
    Sigmoid = 3,
    SELU = 4,
}

internal enum LossKind
{
    SoftmaxCrossEntropy = 0,
    MeanSquaredError = 1,
}

internal enum ScalingKind
{
    AtInference = 0,
    Inverted = 1,
}

internal enum WeightInitKind
{
    Auto = 0,
    HeNormal = 1,
    GlorotUniform = 2,
    TruncatedNormal = 3,
    LeCunNormal = 4,
}

internal enum DropConnectInferenceKind
{
    MomentMatching = 0,
    MeanWeight = 1,
}

internal enum PaddingKind
{
    Valid = 0,
    Same = 1,
}
