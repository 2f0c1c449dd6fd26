using System;

namespace CompiledNets;

/// <summary>Loads MNIST-format (IDX) data sets.</summary>
public static class Mnist
{
    /// <summary>Placeholder: being written.</summary>
    public static MnistData Load(string directory) => throw new NotImplementedException(directory);
}
