using System.Linq;

namespace CompiledNets.Tests.Data;

/// <summary>The real thing: Fashion-MNIST from the Debian package dataset-fashion-mnist (CI installs it).</summary>
public class FashionMnistTests
{
    private const string Directory = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Loads_the_installed_fashion_mnist()
    {
        var data = Mnist.Load(Directory);

        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        foreach (var split in new[] { data.Train, data.Test })
        {
            Assert.Equal(784, split.Features);
            Assert.Equal(split.Count * 784, split.Images.Length);
            Assert.All(split.Labels, label => Assert.InRange(label, 0, 9));
            Assert.Equal(10, split.Labels.Distinct().Count());
            Assert.Equal(0f, split.Images.Min()); // pixel range [0, 1], both ends reached
            Assert.Equal(1f, split.Images.Max());
        }
    }
}
