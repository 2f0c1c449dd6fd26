using System.Collections.Generic;
using System.Linq;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Emitting;

/// <summary>
/// The model laid out for emission: the planned layers in order, each with its shapes, buffers and parameter offsets,
/// after the fusion pass (a dropout declared after a Dense runs inside it) and with the backward protocol settled
/// (which layers need a gradient, which ones receive it already through their epilogue). Names are chosen here once.
/// </summary>
internal sealed class NetworkPlan
{
    public NetworkPlan(NetworkModel model)
    {
        Model = model;
        Input = new Buffer("input", model.InputSize, model.Input.IsImage
            ? $"copy of the last Forward's inputs, {model.Input} images"
            : "copy of the last Forward's inputs");
        var context = new PlanContext(model.Layers, Input, model.Input);
        for (LayerModel? layer = context.Advance(); layer is not null; layer = context.Advance())
        {
            PlannedLayer planned = layer.Plan(context);
            Layers.Add(planned);
            context.Planned(planned);
        }

        for (int i = 0; i + 1 < Layers.Count; i++)
            Layers[i].Next = Layers[i + 1];

        bool parametersSoFar = false;
        foreach (PlannedLayer layer in Layers)
        {
            parametersSoFar |= layer.HasParameters;
            layer.NeedsGradient = parametersSoFar;
        }
        for (int i = 1; i < Layers.Count; i++)
        {
            if (Layers[i - 1].NeedsGradient && Layers[i].FoldsEpilogueOf(Layers[i - 1]))
                Layers[i - 1].GradientIsPreActivation = true;
        }
        ParameterCount = context.ParameterOffset;
    }

    public NetworkModel Model { get; }
    public Buffer Input { get; }
    public List<PlannedLayer> Layers { get; } = new();
    public PlannedLayer Last => Layers[Layers.Count - 1];
    /// <summary>The buffer Forward returns: the last layer's output.</summary>
    public Buffer Output => Last.Output;
    public int OutputSize => (int)Last.OutputShape.Size;
    public long ParameterCount { get; }

    /// <summary>The widest row any buffer holds, for the size check in the constructor.</summary>
    public int WidestLayer => ActivationBuffers().Concat(IndexBuffers()).Max(b => b.Width);

    /// <summary>The dropout-family layers that sample masks, in declaration order.</summary>
    public List<DropoutPlan> Masks => Layers.SelectMany(l => l.Masks()).ToList();

    /// <summary>Whether any layer samples masks (so the network needs a mask stream).</summary>
    public bool HasDropout => Layers.Any(l => l.SamplesMasks);

    /// <summary>Whether Backward passes through a mask (input dropout has no gradient to mask).</summary>
    public bool BackwardUsesMasks => Layers.Any(l => l.BackwardReadsMasks);

    /// <summary>
    /// Whether Predict takes its own path through Forward: a convolution followed by max pooling is then pooled as it is
    /// computed (<see cref="Conv2DLayer.PooledBy"/>), keeping neither the convolution's outputs nor the winners.
    /// </summary>
    public bool PredictFusesPools => Layers.Any(l => l is Conv2DLayer { PooledBy: not null });

    /// <summary>Every float buffer, in forward order (masks and gradients included).</summary>
    public IEnumerable<Buffer> ActivationBuffers() => new[] { Input }.Concat(Layers.SelectMany(l => l.Buffers()));

    /// <summary>Every int buffer (max-pooling's winners).</summary>
    public IEnumerable<Buffer> IndexBuffers() => Layers.SelectMany(l => l.IndexBuffers());

    /// <summary>Every parameter tensor, in the order of the flat vector.</summary>
    public IEnumerable<TensorPlan> Tensors() => Layers.SelectMany(l => l.Tensors());
}
