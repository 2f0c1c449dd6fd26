using System.Collections.Generic;
using CompiledNets.Generator.Layers;
using CompiledNets.Generator.Model;

namespace CompiledNets.Generator.Emitting;

/// <summary>
/// One layer laid out for emission: the buffer it reads, the buffers and parameters it owns, and the code it writes
/// into each generated member. The emitter walks the planned layers forward for Forward and in reverse for Backward;
/// everything a kind writes is in its own subclass (Layers/*.cs).
/// </summary>
/// <remarks>
/// The backward protocol: when a layer's backward code runs, its <see cref="Gradient"/> holds d(loss)/d(<see cref="Output"/>),
/// or, when <see cref="GradientIsPreActivation"/>, already d(loss)/d(pre-activation) because the layer after it folded
/// this layer's dropout and activation into its own input-gradient kernel (see <see cref="Epilogue"/>). It then writes
/// its parameter gradients, and d(loss)/d(its input) into <c>Previous.Gradient</c> when the layer before needs one.
/// </remarks>
internal abstract class PlannedLayer
{
    protected PlannedLayer(PlanContext context)
    {
        Previous = context.Previous;
        Source = context.Source;
        InputShape = context.Input;
    }

    /// <summary>The layer before, or null when this one reads the network's input.</summary>
    public PlannedLayer? Previous { get; }

    /// <summary>The planned layer after this one, or null for the last; set by the plan once every layer is planned.</summary>
    public PlannedLayer? Next { get; set; }

    /// <summary>The buffer this layer reads, [batch, InputShape.Size].</summary>
    public Buffer Source { get; }

    public Shape InputShape { get; }

    public abstract Shape OutputShape { get; }

    /// <summary>The buffer the next layer reads (for a layer with a fused dropout, the dropped-out copy).</summary>
    public abstract Buffer Output { get; }

    /// <summary>A name for comments, e.g. "Dense 2".</summary>
    public abstract string Title { get; }

    /// <summary>Whether the layer has trainable parameters.</summary>
    public virtual bool HasParameters => false;

    /// <summary>
    /// Whether d(loss)/d(this layer's output) is needed: true when this layer or one before it has parameters. Set by
    /// the plan before <see cref="Gradient"/> is read.
    /// </summary>
    public bool NeedsGradient { get; set; }

    /// <summary>d(loss)/d(<see cref="Output"/>), [batch, OutputShape.Size]; null when no gradient is needed.</summary>
    public virtual Buffer? Gradient => null;

    /// <summary>Set by the plan when the next layer's input gradient already went through this layer's epilogue.</summary>
    public bool GradientIsPreActivation { get; set; }

    /// <summary>
    /// The elementwise steps at the end of this layer (activation, then dropout) that the next layer may fold into its
    /// input-gradient kernel; null when they cannot be folded.
    /// </summary>
    public virtual Epilogue? Epilogue => null;

    /// <summary>Whether the next layer writes d(loss)/d(pre-activation) of <paramref name="previous"/> (through its epilogue).</summary>
    public virtual bool FoldsEpilogueOf(PlannedLayer previous) => false;

    /// <summary>Every float buffer this layer owns, in forward order (activation, mask and gradient buffers).</summary>
    public abstract IEnumerable<Buffer> Buffers();

    /// <summary>Every int buffer this layer owns.</summary>
    public virtual IEnumerable<Buffer> IndexBuffers() => [];

    /// <summary>The dropout-family layers in it that sample masks, for the DropoutMask test hook.</summary>
    public virtual IEnumerable<DropoutPlan> Masks() => [];

    /// <summary>Whether it draws from the mask stream (a dropout-family layer, or DropConnect inside a Dense).</summary>
    public virtual bool SamplesMasks => System.Linq.Enumerable.Any(Masks());

    /// <summary>Instance fields of its own besides its buffers (e.g. a mask key), one declaration per line.</summary>
    public virtual void WriteFields(CodeWriter w) { }

    /// <summary>Whether Backward reads one of its masks (then the network remembers whether the last Forward trained).</summary>
    public virtual bool BackwardReadsMasks => false;

    /// <summary>How it describes itself in the network's Layers list: one entry per declared layer (a fused dropout has its own).</summary>
    public abstract IEnumerable<LayerInfoPlan> Infos();

    /// <summary>Its parameter tensors, in the order of the flat parameter vector.</summary>
    public virtual IEnumerable<TensorPlan> Tensors() => [];

    /// <summary>How this kind names and lays out its tensors, for documentation; null without parameters.</summary>
    public virtual string? TensorLayout => null;

    /// <summary>Parameter values (a long: the parser checks the network's total fits an array).</summary>
    public long ParameterCount
    {
        get
        {
            long count = 0;
            foreach (TensorPlan tensor in Tensors()) count += tensor.Length;
            return count;
        }
    }

    /// <summary>Static fields the layer's calls use (e.g. a convolution's geometry).</summary>
    public virtual void WriteStatics(CodeWriter w) { }

    /// <summary>Private spans over its parameters and gradients.</summary>
    public virtual void WriteAccessors(CodeWriter w) { }

    /// <summary>Initializes its parameters in the constructor, from the local weight stream <c>weights</c>.</summary>
    public virtual void WriteInit(CodeWriter w) { }

    /// <summary>Its part of Forward: reads <see cref="Source"/> (a local of the same name), writes locals for its buffers.</summary>
    public abstract void WriteForward(CodeWriter w);

    /// <summary>Its part of Backward (see the class remarks); <c>batchSize</c> is a local.</summary>
    public abstract void WriteBackward(CodeWriter w);

    /// <summary>
    /// An expression of a regularizer term this layer adds, once per batch, to the mean loss that Loss reports (its
    /// gradient is this layer's to write in Backward); null for none.
    /// </summary>
    public virtual string? LossTerm => null;

    /// <summary>Writes what follows the optimizer step in <c>TrainStep</c> (a weight constraint), if anything.</summary>
    public virtual void WriteAfterOptimizerStep(CodeWriter w) { }

    /// <summary>Whether this layer writes d(loss)/d(input) into the layer before.</summary>
    protected bool WritesInputGradient => Previous is { NeedsGradient: true };
}

/// <summary>A [maxBatchSize, Width] buffer: field <c>_Name</c>, local <c>Name</c>.</summary>
internal sealed record Buffer(string Name, int Width, string Description)
{
    public string Field => "_" + Name;
}

/// <summary>One named parameter tensor: its accessor prefix for spans, its public name, shape and place in the flat vector.</summary>
internal sealed record TensorPlan(string Name, long Offset, int[] Shape)
{
    public long Length
    {
        get
        {
            long length = 1;
            foreach (int dimension in Shape) length *= dimension;
            return length;
        }
    }
}

/// <summary>One entry of the generated Layers list (CompiledNets.LayerInfo).</summary>
internal sealed record LayerInfoPlan(string Name, string Kind, Shape Input, Shape Output, string Details,
    ActivationKind Activation = ActivationKind.None, double Rate = 0, bool Inverted = false, int Window = 0, int Stride = 0,
    int[]? Padding = null, params TensorPlan[] Tensors)
{
    /// <summary>An object initializer for the LayerInfo (e.g. its DropConnect settings), or null.</summary>
    public string? Initializer { get; init; }
}

/// <summary>
/// The last elementwise steps of a layer: <paramref name="Activation"/> (its derivative taken at <paramref name="Values"/>,
/// the output before dropout), then <paramref name="Dropout"/> when fused.
/// </summary>
internal sealed record Epilogue(string Title, ActivationKind Activation, Buffer Values, DropoutPlan? Dropout);
