using System;

namespace CompiledNets;

/// <summary>Labeled examples held in memory: <see cref="Count"/> rows of <see cref="Features"/> floats, one class label each.</summary>
public sealed class Dataset
{
    /// <summary>Wraps existing arrays (not copied).</summary>
    /// <param name="images">Count × features values, row-major.</param>
    /// <param name="labels">One class index per example.</param>
    /// <param name="features">Values per example (784 for MNIST).</param>
    public Dataset(float[] images, int[] labels, int features)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ExampleRows.Check(images.Length, labels.Length, features, "features", nameof(images));
        (Images, Labels, Features) = (images, labels, features);
    }

    /// <summary>The examples, <see cref="Count"/> × <see cref="Features"/>, row-major.</summary>
    public float[] Images { get; }

    /// <summary>One class index per example.</summary>
    public int[] Labels { get; }

    /// <summary>Values per example.</summary>
    public int Features { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>The values of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(index * Features, Features);
}
