using System.Collections.Generic;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Emitting;

/// <summary>
/// The model laid out for emission: each dense layer with its number, widths, parameter offsets and the
/// buffer it reads, each dropout with the buffers it reads and writes. Names are chosen here once.
/// </summary>
internal sealed class NetworkPlan
{
    public NetworkPlan(NetworkModel model)
    {
        Model = model;
        var input = new Buffer("input", model.InputSize, "copy of the last Forward's inputs");
        Buffer current = input;
        int width = model.InputSize;
        long offset = 0;
        int widest = width;
        var layers = model.Layers;
        if (layers.Count > 0 && layers[0] is DropoutLayerModel inputDropout)
        {
            InputDropout = new DropoutPlan("Input dropout", "inputDropped", "inputMask", width, inputDropout, current, gradient: null);
            current = InputDropout.Output;
        }

        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not DenseLayerModel dense) continue;
            int number = Dense.Count + 1;
            string activation = dense.Activation == ActivationKind.None ? "no activation" : dense.Activation.ToString();
            var output = new Buffer("dense" + number, dense.Units, $"Dense {number} output, {activation}");
            var gradient = new Buffer("dDense" + number, dense.Units, $"d(loss)/d(Dense {number} output), then d(loss)/d(pre-activation)");
            var plan = new DensePlan(number, width, dense, current, output, gradient, offset);
            offset += (long)width * dense.Units + dense.Units;
            width = dense.Units;
            if (width > widest) widest = width;
            current = output;

            if (i + 1 < layers.Count && layers[i + 1] is DropoutLayerModel dropout)
            {
                plan.Dropout = new DropoutPlan($"Dropout {number}", "dropout" + number, $"dropout{number}Mask", width, dropout, output, gradient);
                current = plan.Dropout.Output;
            }
            Dense.Add(plan);
        }

        Input = input;
        Output = current;
        OutputSize = width;
        ParameterCount = offset;
        WidestLayer = widest;
    }

    public NetworkModel Model { get; }
    public Buffer Input { get; }
    public DropoutPlan? InputDropout { get; }
    public List<DensePlan> Dense { get; } = new();
    /// <summary>The buffer Forward returns: the last layer's output.</summary>
    public Buffer Output { get; }
    public int OutputSize { get; }
    public long ParameterCount { get; }
    public int WidestLayer { get; }

    /// <summary>Whether any layer samples masks (so the network needs a mask stream).</summary>
    public bool HasDropout => InputDropout is not null || Dense.Exists(d => d.Dropout is not null);

    /// <summary>Whether Backward passes through a mask (input dropout has no gradient to mask).</summary>
    public bool BackwardUsesMasks => Dense.Exists(d => d.Dropout is not null);

    /// <summary>Every activation buffer, in forward order (masks included).</summary>
    public IEnumerable<Buffer> ActivationBuffers()
    {
        yield return Input;
        if (InputDropout is not null)
        {
            yield return InputDropout.Mask;
            yield return InputDropout.Output;
        }
        foreach (DensePlan dense in Dense)
        {
            yield return dense.Output;
            yield return dense.Gradient;
            if (dense.Dropout is not null)
            {
                yield return dense.Dropout.Mask;
                yield return dense.Dropout.Output;
            }
        }
    }
}

/// <summary>A [maxBatchSize, Width] buffer: field <c>_Name</c>, local <c>Name</c>.</summary>
internal sealed record Buffer(string Name, int Width, string Description)
{
    public string Field => "_" + Name;
}

internal sealed class DensePlan
{
    public DensePlan(int number, int inputs, DenseLayerModel layer, Buffer source, Buffer output, Buffer gradient, long weightOffset)
    {
        Number = number;
        Inputs = inputs;
        Layer = layer;
        Source = source;
        Output = output;
        Gradient = gradient;
        WeightOffset = weightOffset;
    }

    public int Number { get; }
    public int Inputs { get; }
    public int Units => Layer.Units;
    public DenseLayerModel Layer { get; }
    /// <summary>The buffer this layer reads.</summary>
    public Buffer Source { get; }
    public Buffer Output { get; }
    public Buffer Gradient { get; }
    public long WeightOffset { get; }
    public long WeightCount => (long)Inputs * Units;
    public long BiasOffset => WeightOffset + WeightCount;
    public DropoutPlan? Dropout { get; set; }
    public string Prefix => "Dense" + Number;
}

internal sealed class DropoutPlan
{
    public DropoutPlan(string title, string output, string mask, int width, DropoutLayerModel layer, Buffer source, Buffer? gradient)
    {
        Title = title;
        Layer = layer;
        Source = source;
        Gradient = gradient;
        string scaling = layer.Scaling == ScalingKind.Inverted ? "kept units scaled by 1/p" : "kept units unscaled";
        Mask = new Buffer(mask, width, $"{title} mask: {scaling}, 0 where dropped");
        Output = new Buffer(output, width, $"{title} output");
    }

    public string Title { get; }
    public DropoutLayerModel Layer { get; }
    public Buffer Source { get; }
    public Buffer Mask { get; }
    public Buffer Output { get; }
    /// <summary>The gradient buffer the mask is applied to in Backward (null for input dropout: inputs get no gradient).</summary>
    public Buffer? Gradient { get; }
    public double Keep => 1 - Layer.Rate;
    public bool Inverted => Layer.Scaling == ScalingKind.Inverted;
}
