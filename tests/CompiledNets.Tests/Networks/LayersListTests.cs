using System.Linq;
using CompiledNets.Tests.Numerics;

namespace CompiledNets.Tests.Networks;

/// <summary>The generated <see cref="ICompiledNetwork.Layers"/> list and <see cref="ICompiledNetwork.Summary"/>.</summary>
public class LayersListTests
{
    [Fact]
    public void LeNet_lists_every_declared_layer_with_its_shapes_settings_and_tensors()
    {
        var net = new AllocationLeNet(maxBatchSize: 1);
        LayerInfo[] layers = net.Layers.ToArray();

        Assert.Equal(["Conv2D", "MaxPool2D", "Conv2D", "MaxPool2D", "SpatialDropout", "Dense", "Dropout", "Dense", "Dropout", "Dense"],
            layers.Select(l => l.Kind));
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "pool2SpatialDropout", "dense1", "dropout1", "dense2", "dropout2", "dense3"],
            layers.Select(l => l.Name));
        Assert.Equal([1, 28, 28], layers[0].InputShape);
        Assert.Equal([6, 24, 24], layers[0].OutputShape);
        Assert.Equal([16, 4, 4], layers[4].OutputShape);
        Assert.Equal([120], layers[5].OutputShape);
        Assert.Equal(Activation.ReLU, layers[2].Activation);
        Assert.Equal(Activation.None, layers[9].Activation);
        Assert.Equal(0.2, layers[4].DropoutRate);
        Assert.Equal(DropoutScaling.AtInference, layers[6].Scaling);
        Assert.Equal("5×5 kernel, stride 1, valid padding", layers[0].Details);
        Assert.Equal(6 * 25 + 6, layers[0].ParameterCount);
        Assert.Equal(0, layers[1].ParameterCount);
        Assert.Equal((5, 1), (layers[0].Window, layers[0].Stride));
        Assert.Equal([0, 0, 0, 0], layers[0].Padding);
        Assert.Equal((2, 2), (layers[1].Window, layers[1].Stride));
        Assert.Equal((0, 0), (layers[5].Window, layers[5].Stride));

        // Each layer's output is the next one's input, and the tensors are exactly ParameterTensors, in order.
        for (int i = 1; i < layers.Length; i++)
            Assert.Equal(layers[i - 1].OutputShape.Aggregate(1, (a, b) => a * b), layers[i].InputShape.Aggregate(1, (a, b) => a * b));
        Assert.Equal(net.ParameterTensors, layers.SelectMany(l => l.Parameters));
        Assert.Equal(AllocationLeNet.ParameterCount, layers.Sum(l => l.ParameterCount));
        Assert.Equal(["conv1.weight", "conv1.bias"], layers[0].Parameters.Select(t => t.Name));
        Assert.Equal([6, 1, 5, 5], layers[0].Parameters[0].Shape);
    }

    [Fact]
    public void A_dropout_fused_into_a_dense_layer_and_an_input_dropout_each_have_an_entry()
    {
        var net = new SmallMixedNet(maxBatchSize: 1);
        Assert.Equal(["inputDropout", "dense1", "dropout1", "dense2", "dropout2", "dense3", "dense4"], net.Layers.Select(l => l.Name));
        Assert.Equal(DropoutScaling.Inverted, net.Layers[2].Scaling);
        Assert.Equal(0.5, net.Layers[2].DropoutRate);
        Assert.Equal([7], net.Layers[0].InputShape);
    }

    [Fact]
    public void Same_padding_is_listed_with_the_odd_row_at_the_bottom()
    {
        // StridedSameConvNet: 2×6×5 input, 3×3 kernel, stride 2, Same → 3×3×3; rows padded 1 in total (0 top, 1 bottom),
        // columns 2 (1 left, 1 right).
        LayerInfo conv = new StridedSameConvNet(maxBatchSize: 1).Layers[0];
        Assert.Equal([3, 3, 3], conv.OutputShape);
        Assert.Equal([0, 1, 1, 1], conv.Padding);
        Assert.Equal((3, 2), (conv.Window, conv.Stride));
    }

    [Fact]
    public void Summary_is_a_table_of_the_layers_with_the_total()
    {
        string summary = new AllocationLeNet(maxBatchSize: 1).Summary();
        string[] lines = summary.Split('\n');

        Assert.StartsWith("AllocationLeNet: 1×28×28 inputs, SoftmaxCrossEntropy", summary, System.StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("conv1 (Conv2D)", System.StringComparison.Ordinal) && l.Contains("6×24×24") && l.Contains(" 156 ") && l.Contains("ReLU; 5×5 kernel"));
        Assert.Contains(lines, l => l.StartsWith("pool2SpatialDropout (SpatialDropout)", System.StringComparison.Ordinal) && l.Contains("rate 0.2, AtInference"));
        Assert.Contains(lines, l => l.StartsWith("dense1 (Dense)", System.StringComparison.Ordinal) && l.Contains("30,840"));
        Assert.Contains("Total parameters: 44,426", summary, System.StringComparison.Ordinal);
        Assert.Equal(10, lines.Count(l => l.Contains(" (", System.StringComparison.Ordinal) && !l.StartsWith("Layer", System.StringComparison.Ordinal)));
    }

    [Fact]
    public void Summary_gives_a_scaling_only_where_it_is_a_choice()
    {
        string[] lines = new CompiledNets.Tests.Numerics.AllocationNoiseNet(maxBatchSize: 1).Summary().Split('\n');

        string gaussian = Assert.Single(lines, l => l.Contains("(GaussianDropout)", System.StringComparison.Ordinal));
        Assert.Contains("rate 0.2", gaussian, System.StringComparison.Ordinal);
        Assert.Contains("ε ~ N(1, ", gaussian, System.StringComparison.Ordinal);
        string alpha = Assert.Single(lines, l => l.Contains("(AlphaDropout)", System.StringComparison.Ordinal));
        Assert.Contains("rate 0.1", alpha, System.StringComparison.Ordinal);
        foreach (string line in new[] { gaussian, alpha })
            Assert.DoesNotContain("Inverted", line, System.StringComparison.Ordinal);
    }

    [Fact]
    public void LayerInfo_checks_its_arguments()
    {
        Assert.Throws<System.ArgumentOutOfRangeException>(() => new LayerInfo("d", "Dropout", [3], [3], "", dropoutRate: 1));
        Assert.Throws<System.ArgumentException>(() => new LayerInfo("", "Dense", [3], [3], ""));
        Assert.Throws<System.ArgumentNullException>(() => new LayerInfo("d", "Dense", null!, [3], ""));
    }
}
