using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CompiledNets.Serialization.OnnxProto;
using DataType = CompiledNets.Serialization.OnnxProto.TensorProto.Types.DataType;
using AttributeType = CompiledNets.Serialization.OnnxProto.AttributeProto.Types.AttributeType;

namespace CompiledNets.Serialization;

/// <summary>
/// Checks a parsed ONNX model against an <see cref="OnnxArchitecture"/> and says where each parameter tensor's values
/// are, without copying any: <see cref="Match"/> either returns the complete list or throws an
/// <see cref="InvalidDataException"/> naming the file and the first node or tensor that differs.
/// </summary>
/// <remarks>
/// The graph is walked as a chain from its one real input, one node at a time: the single consumer of the current value
/// must be what the next step of the architecture expects. Layout nodes (Identity, inference-mode Dropout, Flatten,
/// Reshape) may appear anywhere; they move the current value between [N] and [C, H, W] per example, and whatever
/// reads it next checks the form it needs. Accepted forms of a Dense: Gemm (alpha = beta = 1, transA = 0, transB 0 with
/// B [in, out] or 1 with B [out, in], C [out] or [1, out]) or MatMul (B [in, out]) then Add (bias [out] or [1, out]);
/// B may also be a Transpose of a constant. A Conv may follow a constant zero Pad of the spatial axes (how
/// torch.onnx.export writes F.pad / nn.ZeroPad2d); the pads they add up to must be the layer's. Shape tensors for
/// Reshape and Pad may be computed by small constant subgraphs (Shape, Gather, Unsqueeze, Concat, Slice, ...), which
/// <see cref="EvaluateInts"/> folds with a symbolic batch size. A classifier may end in Softmax, LogSoftmax or its logits.
/// </remarks>
internal sealed partial class OnnxReader
{
    /// <summary>Where one parameter tensor's values are: <paramref name="Transposed"/> for a Dense weight stored [out, in].</summary>
    public readonly record struct Copy(ConstantTensor Source, ParameterTensor Target, bool Transposed);

    /// <summary>A float or integer tensor given in the file, and how to name it in a message.</summary>
    public sealed record ConstantTensor(TensorProto Tensor, string What);

    private const int MinimumOpset = 11;

    private readonly string _path;
    private readonly ModelProto _model;
    private readonly OnnxArchitecture _architecture;
    private readonly GraphProto _graph = null!;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _forms = new(StringComparer.Ordinal);
    private readonly List<Copy> _copies = [];
    private bool[] _used = [];
    private long _opset;
    private string _input = "";
    private string _current = "";
    private int[] _form = [];
    private long? _batch; // the graph input's batch size when the file fixes it

    private OnnxReader(ModelProto model, OnnxArchitecture architecture, string path)
    {
        _model = model;
        _architecture = architecture;
        _path = path;
        _graph = model.Graph!;
    }

    /// <summary>Checks <paramref name="model"/> (read from <paramref name="path"/>) against <paramref name="architecture"/>.</summary>
    public static List<Copy> Match(ModelProto model, OnnxArchitecture architecture, string path)
    {
        if (model.Graph is null)
            throw Malformed(path, "it has no graph");
        var reader = new OnnxReader(model, architecture, path);
        reader.CheckModel();
        reader.Index();
        reader.ReadInput();
        foreach (OnnxStep step in architecture.Steps)
        {
            reader.SkipLayout();
            switch (step)
            {
                case DenseStep dense: reader.MatchDense(dense); break;
                case ConvStep conv: reader.MatchConv(conv); break;
                case MaxPoolStep pool: reader.MatchMaxPool(pool); break;
                case ActivationStep activation: reader.MatchActivation(activation); break;
                case ScaleStep scale: reader.MatchScale(scale); break;
                default: throw new InvalidOperationException($"Unknown step {step}.");
            }
        }
        reader.MatchEnd();
        return reader._copies;
    }

    // ------------------------------------------------------------------ model, index, input and output

    private void CheckModel()
    {
        if (_model.IrVersion < 3)
            throw Malformed($"it has IR version {_model.IrVersion}; ONNX models with operator sets have 3 or later");
        OperatorSetIdProto? opset = _model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (opset is null)
            throw Malformed("it imports no version of the default ONNX operator set (opset_import)");
        if (opset.Version < MinimumOpset)
            throw Mismatch($"it uses ONNX operator set {opset.Version}; reading needs {MinimumOpset} or later (export with opset_version >= {MinimumOpset})");
        _opset = opset.Version;
        if (_graph.SparseInitializer.Count > 0)
            throw Mismatch($"it has sparse initializer '{_graph.SparseInitializer[0].Values?.Name}', which CompiledNets does not read");
    }

    private void Index()
    {
        foreach (TensorProto tensor in _graph.Initializer)
        {
            if (string.IsNullOrEmpty(tensor.Name))
                throw Malformed("it has an initializer without a name");
            if (!_initializers.TryAdd(tensor.Name, tensor))
                throw Malformed($"it has two initializers named '{tensor.Name}'");
        }
        _used = new bool[_graph.Node.Count];
        for (int i = 0; i < _graph.Node.Count; i++)
        {
            NodeProto node = _graph.Node[i];
            if (node.Domain is not ("" or "ai.onnx"))
                throw Mismatch($"{Node(i)} is operator '{node.OpType}' of domain '{node.Domain}', which CompiledNets does not know");
            if (node.Output.Count == 0 || string.IsNullOrEmpty(node.Output[0]))
                throw Malformed($"{Node(i)} has no output");
            foreach (string output in node.Output)
            {
                if (output.Length == 0) continue;
                if (_initializers.ContainsKey(output) || !_producers.TryAdd(output, i))
                    throw Malformed($"{Node(i)} writes '{output}', which is already {(_initializers.ContainsKey(output) ? "an initializer" : "written by " + Node(_producers[output]))}");
            }
            foreach (string input in node.Input)
            {
                if (input.Length == 0) continue; // an omitted optional input
                if (!_consumers.TryGetValue(input, out List<int>? list))
                    _consumers[input] = list = [];
                if (list.Count == 0 || list[^1] != i) list.Add(i);
            }
        }
        foreach (ValueInfoProto output in _graph.Output)
            _graphOutputs.Add(output.Name);
    }

    private void ReadInput()
    {
        ValueInfoProto[] inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw Mismatch($"it has {inputs.Length} graph inputs besides its initializers ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); the network has one");
        ValueInfoProto input = inputs[0];
        if (string.IsNullOrEmpty(input.Name) || _producers.ContainsKey(input.Name))
            throw Malformed($"it has graph input '{input.Name}', which is empty or written by a node");
        TypeProto.Types.Tensor? type = input.Type?.TensorType;
        if (type is null || type.ElemType != (int)DataType.Float)
            throw Mismatch($"the graph input '{input.Name}' is {TypeName(input.Type)}, not a float32 tensor");
        if (type.Shape is null || type.Shape.Dim.Count < 2)
            throw Mismatch($"the graph input '{input.Name}' has shape {Shape(type.Shape)}; the network reads [batch, {OnnxArchitecture.Join(_architecture.InputShape)}] " +
                           $"or [batch, {_architecture.InputCount}]");
        if (type.Shape.Dim[0] is { ValueCase: TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, DimValue: long batch })
        {
            if (batch is < 1 or > int.MaxValue)
                throw Malformed($"the graph input '{input.Name}' has shape {Shape(type.Shape)}: a batch of {batch}" + (batch < 1 ? "" : $", more than the {int.MaxValue} a batch can hold"));
            _batch = batch;
        }
        int[] form = new int[type.Shape.Dim.Count - 1];
        long count = 1;
        for (int d = 1; d < type.Shape.Dim.Count; d++)
        {
            TensorShapeProto.Types.Dimension dimension = type.Shape.Dim[d];
            if (dimension.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dimension.DimValue < 1)
                throw Mismatch($"the graph input '{input.Name}' has shape {Shape(type.Shape)}, whose dimension {d} is not a known size; " +
                               $"the network reads [batch, {OnnxArchitecture.Join(_architecture.InputShape)}]");
            count = Math.Min(count * Math.Min(dimension.DimValue, 1L << 31), 1L << 31);
            form[d - 1] = (int)Math.Min(dimension.DimValue, int.MaxValue);
        }
        if (count != _architecture.InputCount)
            throw Mismatch($"the graph input '{input.Name}' has shape {Shape(type.Shape)}, {count} values per example; the network reads " +
                           $"{_architecture.InputCount} ([{OnnxArchitecture.Join(_architecture.InputShape)}])");
        _input = _current = input.Name;
        _form = form;
        _forms[_current] = form;
    }

    private void MatchEnd()
    {
        SkipLayout();
        int? next = Next();
        if (next is int softmax && _graph.Node[softmax].OpType is "Softmax" or "LogSoftmax")
        {
            if (!_architecture.Softmax)
                throw Mismatch($"{Node(softmax)} follows the last layer, but a MeanSquaredError network outputs its raw values");
            NodeProto node = Take(softmax, inputs: 1, "axis");
            ChainInput(softmax, 0);
            long axis = Int(softmax, "axis", _opset >= 13 ? -1 : 1);
            if (_form.Length != 1 || axis is not (1 or -1))
                throw Mismatch($"{Node(softmax)} normalizes over axis {axis} of [batch, {OnnxArchitecture.Join(_form)}]; the network's softmax is over its {_architecture.OutputSize} outputs");
            Advance(node, _form);
            SkipLayout();
            next = Next();
        }
        OnnxStep? last = _architecture.Steps.Count > 0 ? _architecture.Steps[^1] : null;
        if (next is int extra)
            throw Mismatch($"{Node(extra)} follows the network's last step{(last is null ? "" : ", " + last.Describe())}, which ends the network");
        if (_graph.Output.Count != 1 || _graph.Output[0].Name != _current)
            throw Mismatch($"the graph's outputs are {string.Join(", ", _graph.Output.Select(o => $"'{o.Name}'"))}; the network's output is '{_current}', " +
                           "the value after its last layer");
        if (_form.Length != 1 || _form[0] != _architecture.OutputSize)
            throw Mismatch($"the graph output '{_current}' is [batch, {OnnxArchitecture.Join(_form)}]; the network has {_architecture.OutputSize} outputs");
        TypeProto.Types.Tensor? type = _graph.Output[0].Type?.TensorType;
        if (type is not null && type.ElemType != (int)DataType.Float)
            throw Mismatch($"the graph output '{_current}' is {TypeName(_graph.Output[0].Type)}, not float32");
        if (type?.Shape is { } shape && (shape.Dim.Count != 2 || shape.Dim[1] is { ValueCase: TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, DimValue: long width } && width != _architecture.OutputSize))
            throw Mismatch($"the graph output '{_current}' is declared {Shape(shape)}; the network's outputs are [batch, {_architecture.OutputSize}]");
        for (int i = 0; i < _used.Length; i++)
        {
            if (!_used[i] && _graph.Node[i].OpType != "Constant")
                throw Mismatch($"{Node(i)} is not on the network's path from '{_input}' to '{_current}'");
        }
    }

    // ------------------------------------------------------------------ layers

    private void MatchDense(DenseStep step)
    {
        int index = Expect(step, "Gemm", "MatMul");
        NodeProto node = _graph.Node[index];
        if (_form.Length != 1 || _form[0] != step.Inputs)
            throw Mismatch($"{Node(index)} for {step.Describe()} reads [batch, {OnnxArchitecture.Join(_form)}]; the layer reads [batch, {step.Inputs}]" +
                           (_form.Length > 1 ? " (a Flatten or Reshape is missing)" : ""));
        if (node.OpType == "Gemm")
        {
            Take(index, inputs: 3, "alpha", "beta", "transA", "transB");
            if (node.Input.Count < 3 || node.Input[2].Length == 0)
                throw Mismatch($"{Node(index)} for {step.Describe()} has no bias input C; the layer has bias {step.Bias.Name} [{step.Units}]");
            ChainInput(index, 0);
            float alpha = Float(index, "alpha", 1f), beta = Float(index, "beta", 1f);
            long transA = Int(index, "transA", 0), transB = Int(index, "transB", 0);
            if (alpha != step.Alpha || beta != 1f || transA != 0 || transB is not (0 or 1))
                throw Mismatch($"{Node(index)} for {step.Describe()} has alpha = {alpha}, beta = {beta}, transA = {transA}, transB = {transB}; " +
                               (step.Alpha == 1f ? "a Dense layer is alpha = beta = 1, transA = 0, transB = 0 or 1"
                                   : $"a Dense layer with mean-weight DropConnect is alpha = p = {step.Alpha}, beta = 1, transA = 0, transB = 0 or 1"));
            AddWeight(index, step, node.Input[1], transB == 1);
            AddBias(index, step, node.Input[2]);
            Advance(node, [step.Units]);
        }
        else
        {
            if (step.Alpha != 1f)
                throw Mismatch($"{Node(index)} for {step.Describe()} is a MatMul; a Dense layer with mean-weight DropConnect is a Gemm with alpha = p = {step.Alpha}");
            Take(index, inputs: 2);
            ChainInput(index, 0);
            AddWeight(index, step, node.Input[1], transposedB: false);
            Advance(node, [step.Units]);
            int? next = Next();
            if (next is not int add || _graph.Node[add].OpType != "Add")
                throw Mismatch($"{(next is int other ? Node(other) : "nothing")} follows {Node(index)} (MatMul) for {step.Describe()}, " +
                               $"where the layer adds its bias {step.Bias.Name} [{step.Units}] (an Add)");
            NodeProto addNode = Take(add, inputs: 2);
            int chain = ChainInput(add, -1);
            AddBias(add, step, addNode.Input[1 - chain]);
            Advance(addNode, [step.Units]);
        }
    }

    private void AddWeight(int index, DenseStep step, string name, bool transposedB)
    {
        (ConstantTensor weight, bool viaTranspose) = WeightSource(index, name, step);
        bool transposed = transposedB ^ viaTranspose; // the stored tensor is [out, in]
        long[] expected = transposed ? [step.Units, step.Inputs] : [step.Inputs, step.Units];
        string layout = transposed ? "[out, in]" : "[in, out]";
        string how = (_graph.Node[index].OpType == "Gemm" ? $"Gemm with transB = {(transposedB ? 1 : 0)}" : "MatMul")
                     + (viaTranspose ? " of its Transpose" : "");
        CheckFloats(index, step, weight, expected, $"{step.Weight.Name} as {how}, {layout}");
        _copies.Add(new Copy(weight, step.Weight, transposed));
    }

    private void AddBias(int index, DenseStep step, string name)
    {
        ConstantTensor bias = Constant(name) ?? throw Mismatch($"{Node(index)} for {step.Describe()} adds '{name}', which is not an initializer or constant");
        long[] expected = bias.Tensor.Dims.Count == 2 ? [1, step.Units] : [step.Units];
        CheckFloats(index, step, bias, expected, $"{step.Bias.Name}");
        _copies.Add(new Copy(bias, step.Bias, Transposed: false));
    }

    private void MatchConv(ConvStep step)
    {
        int[] input = [.. step.Layer.InputShape];
        if (!_form.SequenceEqual(input))
            throw Mismatch($"{Describe(Next())} for {step.Describe()} reads [batch, {OnnxArchitecture.Join(_form)}]; the layer reads [batch, {OnnxArchitecture.Join(input)}]");
        int index = Expect(step, "Conv", "Pad");
        long[] extra = new long[4];
        bool padded = false;
        if (_graph.Node[index].OpType == "Pad")
        {
            extra = ZeroPads(index, step);
            padded = true;
            NodeProto pad = _graph.Node[index];
            Advance(pad, [input[0], (int)(input[1] + extra[0] + extra[2]), (int)(input[2] + extra[1] + extra[3])]);
            int? next = Next();
            if (next is not int conv || _graph.Node[conv].OpType != "Conv")
                throw Mismatch($"{Describe(next)} follows {Node(index)} (Pad), where the network has {step.Describe()}; CompiledNets reads a Pad only before a Conv");
            index = conv;
        }
        NodeProto node = Take(index, inputs: 3, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        ChainInput(index, 0);
        if (node.Input.Count < 3 || node.Input[2].Length == 0)
            throw Mismatch($"{Node(index)} for {step.Describe()} has no bias input B; the layer has bias {step.Bias.Name} [{step.Filters}]");
        (ConstantTensor weight, bool viaTranspose) = WeightSource(index, node.Input[1], step);
        if (viaTranspose)
            throw Mismatch($"{Node(index)} for {step.Describe()} reads its weights through a Transpose; a Conv's weights are [F, C, k, k]");
        CheckFloats(index, step, weight, [step.Filters, step.Channels, step.Kernel, step.Kernel], $"{step.Weight.Name} [F, C, k, k]");
        ConstantTensor bias = Constant(node.Input[2]) ?? throw Mismatch($"{Node(index)} for {step.Describe()} adds '{node.Input[2]}', which is not an initializer or constant");
        CheckFloats(index, step, bias, [step.Filters], step.Bias.Name);

        long[] strides = Ints(index, "strides") ?? [1, 1];
        long[] dilations = Ints(index, "dilations") ?? [1, 1];
        long group = Int(index, "group", 1);
        long[]? kernel = Ints(index, "kernel_shape");
        if (!strides.SequenceEqual([step.Stride, step.Stride]) || !dilations.SequenceEqual([1L, 1L]) || group != 1
            || (kernel is not null && !kernel.SequenceEqual([step.Kernel, step.Kernel])))
            throw Mismatch($"{Node(index)} for {step.Describe()} has strides [{OnnxArchitecture.Join(strides)}], dilations [{OnnxArchitecture.Join(dilations)}], " +
                           $"group {group}, kernel_shape [{(kernel is null ? "from the weights" : OnnxArchitecture.Join(kernel))}]; the layer has strides " +
                           $"[{step.Stride}, {step.Stride}], dilations [1, 1], group 1, kernel_shape [{step.Kernel}, {step.Kernel}]");
        string autoPad = String(index, "auto_pad", "NOTSET");
        long[] pads;
        if (autoPad == "NOTSET")
        {
            pads = Ints(index, "pads") ?? [0, 0, 0, 0];
            if (pads.Length != 4 || pads.Any(p => p < 0))
                throw Mismatch($"{Node(index)} for {step.Describe()} has pads [{OnnxArchitecture.Join(pads)}]; a 2-D convolution has four, none negative");
            for (int i = 0; i < 4; i++) pads[i] += extra[i];
        }
        else if (!padded && autoPad is "SAME_UPPER" or "SAME_LOWER" or "VALID" && Ints(index, "pads") is null)
        {
            pads = new long[4];
            for (int axis = 0; axis < 2 && autoPad != "VALID"; axis++)
            {
                long size = input[1 + axis], output = (size + step.Stride - 1) / step.Stride;
                long total = Math.Max((output - 1) * step.Stride + step.Kernel - size, 0);
                pads[axis] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                pads[2 + axis] = total - pads[axis];
            }
        }
        else
        {
            throw Mismatch($"{Node(index)} for {step.Describe()} has auto_pad '{autoPad}'{(padded ? " after a Pad" : "")}" +
                           (Ints(index, "pads") is null ? ", which CompiledNets does not read" : " and pads, which ONNX does not allow together"));
        }
        if (!pads.SequenceEqual(step.Pads.Select(p => (long)p)))
            throw Mismatch($"{Node(index)} for {step.Describe()} pads the input by [{OnnxArchitecture.Join(pads)}] (top, left, bottom, right" +
                           $"{(padded ? ", its Pad included" : "")}); the layer pads by [{OnnxArchitecture.Join(step.Pads)}]");
        _copies.Add(new Copy(weight, step.Weight, Transposed: false));
        _copies.Add(new Copy(bias, step.Bias, Transposed: false));
        Advance(node, [.. step.Layer.OutputShape]);
    }

    /// <summary>A constant-mode Pad by zeros of the two spatial axes: its pads as [top, left, bottom, right].</summary>
    private long[] ZeroPads(int index, ConvStep step)
    {
        // Opset 11 on: pads, constant_value and (18 on) axes are inputs.
        NodeProto node = Take(index, inputs: _opset >= 18 ? 4 : 3, "mode");
        ChainInput(index, 0);
        string mode = String(index, "mode", "constant");
        if (node.Input.Count < 2 || node.Input[1].Length == 0)
            throw Mismatch($"{Node(index)} before {step.Describe()} has no pads");
        long[] pads = EvaluateInts(node.Input[1]).Vector($"the pads of {Node(index)}", this);
        float value = node.Input.Count > 2 && node.Input[2].Length > 0 ? FloatScalar(index, node.Input[2], "its constant value") : 0f;
        long[] axes = node.Input.Count > 3 && node.Input[3].Length > 0
            ? EvaluateInts(node.Input[3]).Vector($"the axes of {Node(index)}", this, DataType.Int32, DataType.Int64)
            : [0, 1, 2, 3];
        if (mode != "constant" || value != 0f || pads.Length != 2 * axes.Length)
            throw Mismatch($"{Node(index)} before {step.Describe()} pads in mode '{mode}' with value {value} by [{OnnxArchitecture.Join(pads)}]; " +
                           "CompiledNets reads a constant zero Pad of the spatial axes");
        long[] result = new long[4];
        for (int i = 0; i < axes.Length; i++)
        {
            long axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
            long begin = pads[i], end = pads[axes.Length + i];
            if (begin < 0 || end < 0 || begin > 1 << 16 || end > 1 << 16 || axis is < 0 or > 3 || (axis < 2 && (begin != 0 || end != 0)))
                throw Mismatch($"{Node(index)} before {step.Describe()} pads by [{OnnxArchitecture.Join(pads)}]{(axes.Length == 4 ? "" : $" on axes [{OnnxArchitecture.Join(axes)}]")}; " +
                               "CompiledNets reads zero padding of the height and width only");
            if (axis >= 2)
            {
                result[axis - 2] += begin;
                result[axis] += end;
            }
        }
        return result;
    }

    private void MatchMaxPool(MaxPoolStep step)
    {
        int[] input = [.. step.Layer.InputShape];
        int index = Expect(step, "MaxPool");
        if (!_form.SequenceEqual(input))
            throw Mismatch($"{Node(index)} for {step.Describe()} reads [batch, {OnnxArchitecture.Join(_form)}]; the layer reads [batch, {OnnxArchitecture.Join(input)}]");
        NodeProto node = Take(index, inputs: 1, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        ChainInput(index, 0);
        long[]? kernel = Ints(index, "kernel_shape");
        long[] strides = Ints(index, "strides") ?? [1, 1];
        long[] dilations = Ints(index, "dilations") ?? [1, 1];
        long[]? givenPads = Ints(index, "pads");
        long[] pads = givenPads ?? [0, 0, 0, 0];
        string autoPad = String(index, "auto_pad", "NOTSET");
        long ceil = Int(index, "ceil_mode", 0);
        bool sameOutput = true;
        for (int axis = 1; axis < 3 && ceil != 0; axis++)
        {
            long span = input[axis] - step.Window;
            sameOutput &= span < 0 || span % step.Stride == 0; // ceil and floor agree
        }
        bool autoPadNone = autoPad is "NOTSET" or "VALID"
            || (autoPad is "SAME_UPPER" or "SAME_LOWER" && input.Skip(1).All(size => Math.Max(((size + step.Stride - 1) / step.Stride - 1) * step.Stride + step.Window - size, 0) == 0));
        if (kernel is null || !kernel.SequenceEqual([step.Window, step.Window]) || !strides.SequenceEqual([step.Stride, step.Stride])
            || !dilations.SequenceEqual([1L, 1L]) || pads.Length != 4 || pads.Any(p => p != 0) || !autoPadNone || !sameOutput
            || (givenPads is not null && autoPad != "NOTSET"))
            throw Mismatch($"{Node(index)} for {step.Describe()} has kernel_shape [{(kernel is null ? "" : OnnxArchitecture.Join(kernel))}], strides " +
                           $"[{OnnxArchitecture.Join(strides)}], dilations [{OnnxArchitecture.Join(dilations)}], pads [{OnnxArchitecture.Join(pads)}], auto_pad '{autoPad}', " +
                           $"ceil_mode {ceil}; the layer has kernel_shape [{step.Window}, {step.Window}], strides [{step.Stride}, {step.Stride}], no dilation, " +
                           "no padding and floor rounding" + (givenPads is not null && autoPad != "NOTSET" ? " (and ONNX allows no auto_pad beside pads)" : ""));
        Advance(node, [.. step.Layer.OutputShape]);
    }

    private void MatchActivation(ActivationStep step)
    {
        int index = Expect(step, step.Op);
        NodeProto node = Take(index, inputs: 1);
        ChainInput(index, 0);
        Advance(node, _form);
    }

    private void MatchScale(ScaleStep step)
    {
        int index = Expect(step, "Mul");
        NodeProto node = Take(index, inputs: 2);
        int chain = ChainInput(index, -1);
        float keep = FloatScalar(index, node.Input[1 - chain], "the factor");
        if (!(Math.Abs(keep - step.Keep) <= 1e-6f * Math.Max(1f, Math.Abs(step.Keep))))
            throw Mismatch($"{Node(index)} multiplies by {OnnxWriter.Number(keep)} where the network has {step.Describe()}");
        Advance(node, _form);
    }

    // ------------------------------------------------------------------ layout nodes

    /// <summary>Consumes Identity, inference Dropout, Flatten and Reshape nodes, following the form of the current value.</summary>
    private void SkipLayout()
    {
        while (Next() is int index)
        {
            NodeProto node = _graph.Node[index];
            switch (node.OpType)
            {
                case "Identity":
                    Take(index, inputs: 1);
                    ChainInput(index, 0);
                    Advance(node, _form);
                    break;
                case "Dropout":
                    // Opset 12 on: ratio and training_mode are inputs, seed an attribute; before: ratio an attribute.
                    if (_opset >= 12) Take(index, inputs: 3, "seed");
                    else Take(index, inputs: 1, "ratio");
                    ChainInput(index, 0);
                    if (node.Input.Count > 2 && node.Input[2].Length > 0
                        && EvaluateInts(node.Input[2]).Plain($"the training_mode of {Node(index)}", this, DataType.Bool).Any(v => v != 0))
                        throw Mismatch($"{Node(index)} drops in training mode; an inference graph has no dropout");
                    Advance(node, _form);
                    break;
                case "Flatten":
                    Take(index, inputs: 1, "axis");
                    ChainInput(index, 0);
                    long axis = Int(index, "axis", 1);
                    if (axis != 1 && axis != -_form.Length)
                        throw Mismatch($"{Node(index)} flattens [batch, {OnnxArchitecture.Join(_form)}] from axis {axis}; CompiledNets reads Flatten from axis 1 (keeping the batch)");
                    Advance(node, [Count(_form)]);
                    break;
                case "Reshape":
                    Take(index, inputs: 2, ReshapeAttributes);
                    ChainInput(index, 0);
                    Advance(node, ReshapedForm(index));
                    break;
                default:
                    return;
            }
        }
    }

    /// <summary>The per-example form a Reshape of the current value gives: its first target dimension is the batch.</summary>
    private int[] ReshapedForm(int index)
    {
        NodeProto node = _graph.Node[index];
        if (node.Input.Count < 2 || node.Input[1].Length == 0)
            throw Malformed($"{Node(index)} has no shape input");
        IntTensor target = EvaluateInts(node.Input[1]);
        bool allowZero = Int(index, "allowzero", 0) != 0;
        int count = Count(_form);
        string Fail() => $"{Node(index)} reshapes [batch, {OnnxArchitecture.Join(_form)}] to [{target.Describe()}]; CompiledNets reads a Reshape " +
                         "that keeps the batch first and the values of each example together";
        if (target.Type != (int)DataType.Int64 || target.Dims.Length != 1 || target.Values.Length < 2 || target.Values.Length > 5)
            throw Mismatch(Fail());
        // The batch: symbolic, copied (0), inferred (-1) or a fixed size.
        long first = target.Values[0];
        bool batchInferred = !target.Batch[0] && first == -1;
        if (!target.Batch[0] && (first < -1 || (first == 0 && allowZero)))
            throw Mismatch(Fail());
        // A fixed batch size is the graph input's own, which then must be fixed too: any other breaks the batch apart.
        if (!target.Batch[0] && first > 0 && first != _batch)
            throw Mismatch($"{Node(index)} reshapes to [{target.Describe()}], a batch of {first}, where the graph input's batch is " +
                           (_batch is long fixedBatch ? fixedBatch.ToString(CultureInfo.InvariantCulture) : "not fixed"));
        int[] form = new int[target.Values.Length - 1];
        int inferred = -1;
        long known = 1;
        for (int j = 1; j < target.Values.Length; j++)
        {
            long value = target.Values[j];
            if (target.Batch[j]) throw Mismatch(Fail());
            if (value == 0 && !allowZero && j - 1 < _form.Length) value = _form[j - 1];
            if (value == -1 && inferred < 0 && !batchInferred) { inferred = j - 1; continue; }
            if (value < 1 || value > count) throw Mismatch(Fail());
            form[j - 1] = (int)value;
            known *= value;
            if (known > count) throw Mismatch(Fail());
        }
        if (inferred >= 0)
        {
            if (count % known != 0) throw Mismatch(Fail());
            form[inferred] = (int)(count / known);
        }
        else if (known != count)
        {
            throw Mismatch(Fail());
        }
        return form;
    }

    /// <summary>Reshape's attributes: allowzero from opset 14 on, none before.</summary>
    private string[] ReshapeAttributes => _opset >= 14 ? ["allowzero"] : [];

    // ------------------------------------------------------------------ walking

    /// <summary>The one node that reads the current value (Shape nodes aside, which are folded where used), or null.</summary>
    private int? Next()
    {
        if (!_consumers.TryGetValue(_current, out List<int>? consumers))
            return null;
        int found = -1;
        foreach (int i in consumers)
        {
            if (_graph.Node[i].OpType == "Shape") continue;
            if (found >= 0)
                throw Mismatch($"the value '{_current}' is read by both {Node(found)} and {Node(i)}; a CompiledNets network is a single chain");
            found = i;
        }
        if (found < 0) return null;
        if (_used[found])
            throw Malformed($"{Node(found)} is reached twice: the graph has a cycle");
        return found;
    }

    /// <summary>The next node, which must be one of <paramref name="ops"/>.</summary>
    private int Expect(OnnxStep step, params string[] ops)
    {
        int? next = Next();
        if (next is not int index)
            throw Mismatch($"the graph ends at '{_current}', where the network has {step.Describe()}");
        string op = _graph.Node[index].OpType;
        if (!ops.Contains(op))
            throw Mismatch($"{Node(index)} is where the network has {step.Describe()}" + Hint(step, op));
        return index;
    }

    private static string Hint(OnnxStep step, string op) => step switch
    {
        ScaleStep => "; a model trained with inverted dropout (PyTorch's, Keras') has no such Mul: declare the layer with Scaling = DropoutScaling.Inverted",
        ActivationStep when op is "Relu" or "Tanh" or "Sigmoid" => $" (the model applies {op})",
        _ => "",
    };

    /// <summary>Marks node <paramref name="index"/> used after checking its input count and attribute names.</summary>
    private NodeProto Take(int index, int inputs, params string[] attributes)
    {
        NodeProto node = _graph.Node[index];
        if (node.Input.Count > inputs)
            throw Mismatch($"{Node(index)} has {node.Input.Count} inputs; {node.OpType} as CompiledNets reads it has at most {inputs}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (!attributes.Contains(attribute.Name))
                throw Mismatch($"{Node(index)} has attribute '{attribute.Name}', which CompiledNets does not read on {node.OpType}");
            if (!seen.Add(attribute.Name))
                throw Malformed($"{Node(index)} has attribute '{attribute.Name}' twice");
        }
        _used[index] = true;
        return node;
    }

    /// <summary>
    /// Checks that the node reads the current value at <paramref name="position"/> (or, for -1, at exactly one position,
    /// returned) and nowhere else.
    /// </summary>
    private int ChainInput(int index, int position)
    {
        NodeProto node = _graph.Node[index];
        int found = -1, count = 0;
        for (int i = 0; i < node.Input.Count; i++)
        {
            if (node.Input[i] != _current) continue;
            found = i;
            count++;
        }
        if (count != 1 || (position >= 0 && found != position))
            throw Mismatch($"{Node(index)} reads '{_current}' as {(count == 0 ? "none" : count > 1 ? "several" : "another")} of its inputs" +
                           (position >= 0 ? $"; it should be input {position}" : "; it should be one of them"));
        return found;
    }

    /// <summary>Moves to the node's first output, whose per-example form is <paramref name="form"/>; its other outputs must be unused.</summary>
    private void Advance(NodeProto node, int[] form)
    {
        for (int i = 1; i < node.Output.Count; i++)
        {
            string output = node.Output[i];
            if (output.Length > 0 && (_consumers.ContainsKey(output) || _graphOutputs.Contains(output)))
                throw Mismatch($"{Node(_producers[output])} output '{output}' is used; CompiledNets reads only the first output of a {node.OpType}");
        }
        _current = node.Output[0];
        _form = form;
        _forms[_current] = form;
    }

    // ------------------------------------------------------------------ tensors

    /// <summary>An initializer, or the tensor a Constant node holds (marking that node used); null when neither.</summary>
    private ConstantTensor? Constant(string name)
    {
        if (_initializers.TryGetValue(name, out TensorProto? tensor))
            return new ConstantTensor(tensor, $"initializer '{name}'");
        if (!_producers.TryGetValue(name, out int index) || _graph.Node[index].OpType != "Constant")
            return null;
        _used[index] = true;
        NodeProto node = _graph.Node[index];
        if (node.Attribute.Count != 1)
            throw Mismatch($"{Node(index)} has {node.Attribute.Count} attributes; a Constant has one");
        AttributeProto attribute = node.Attribute[0];
        var made = new TensorProto { Name = name };
        switch (attribute.Name)
        {
            case "value" when attribute.Type == AttributeType.Tensor && attribute.T is not null:
                return new ConstantTensor(attribute.T, $"the value of {Node(index)}");
            case "value_float" when attribute.Type == AttributeType.Float:
                made.DataType = (int)DataType.Float;
                made.FloatData.Add(attribute.F);
                break;
            case "value_floats" when attribute.Type == AttributeType.Floats:
                made.DataType = (int)DataType.Float;
                made.Dims.Add(attribute.Floats.Count);
                made.FloatData.AddRange(attribute.Floats);
                break;
            case "value_int" when attribute.Type == AttributeType.Int:
                made.DataType = (int)DataType.Int64;
                made.Int64Data.Add(attribute.I);
                break;
            case "value_ints" when attribute.Type == AttributeType.Ints:
                made.DataType = (int)DataType.Int64;
                made.Dims.Add(attribute.Ints.Count);
                made.Int64Data.AddRange(attribute.Ints);
                break;
            default:
                throw Mismatch($"{Node(index)} holds a '{attribute.Name}' of type {attribute.Type}, which CompiledNets does not read");
        }
        return new ConstantTensor(made, $"the value of {Node(index)}");
    }

    /// <summary>A layer's weights: a constant, or a Transpose (perm [1, 0]) of one.</summary>
    private (ConstantTensor Tensor, bool ViaTranspose) WeightSource(int index, string name, OnnxStep step)
    {
        if (Constant(name) is ConstantTensor direct)
            return (direct, false);
        if (_producers.TryGetValue(name, out int producer) && _graph.Node[producer].OpType == "Transpose")
        {
            NodeProto transpose = Take(producer, inputs: 1, "perm");
            long[]? perm = Ints(producer, "perm");
            if ((perm is null || perm.SequenceEqual([1L, 0L])) && transpose.Input.Count == 1 && Constant(transpose.Input[0]) is ConstantTensor source
                && source.Tensor.Dims.Count == 2)
                return (source, true);
        }
        throw Mismatch($"{Node(index)} for {step.Describe()} takes its weights from '{name}', which is not an initializer, a constant or a 2-D Transpose of one");
    }

    /// <summary>Checks a float tensor's dimensions and data against <paramref name="expected"/>.</summary>
    private void CheckFloats(int index, OnnxStep step, ConstantTensor source, long[] expected, string role)
    {
        TensorProto tensor = source.Tensor;
        string where = $"{Node(index)} for {step.Describe()}: {source.What}";
        if (!tensor.Dims.SequenceEqual(expected))
            throw Mismatch($"{where} has shape [{OnnxArchitecture.Join(tensor.Dims)}], expected [{OnnxArchitecture.Join(expected)}] ({role})");
        long count = 1;
        foreach (long dimension in expected) count *= dimension;
        CheckFloatData(where, tensor, count);
    }

    private void CheckFloatData(string where, TensorProto tensor, long count)
    {
        if (tensor.DataType != (int)DataType.Float)
            throw Mismatch($"{where} holds {TypeName(tensor.DataType)} values; CompiledNets reads float32");
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            throw Mismatch($"{where} keeps its values in an external file, which CompiledNets does not read (save the model with its weights inside)");
        if (tensor.Segment is not null)
            throw Mismatch($"{where} is a segment of a larger tensor, which CompiledNets does not read");
        // raw_data, when present (even empty, as ONNX Runtime reads it), holds the values; otherwise float_data does.
        bool hasRaw = tensor.HasRawData;
        int raw = tensor.RawData.Length, floats = tensor.FloatData.Count;
        if (hasRaw && floats > 0)
            throw Malformed($"{where} has both raw_data and float_data");
        if (hasRaw ? raw != count * sizeof(float) : floats != count)
            throw Malformed($"{where} has {(hasRaw ? $"{raw} bytes of raw_data" : $"{floats} float_data values")} for shape " +
                            $"[{OnnxArchitecture.Join(tensor.Dims)}], which needs {count} values ({count * sizeof(float)} bytes)");
    }

    /// <summary>A float constant with one value.</summary>
    private float FloatScalar(int index, string name, string role)
    {
        ConstantTensor constant = Constant(name) ?? throw Mismatch($"{Node(index)} takes {role} from '{name}', which is not an initializer or constant");
        long count = 1;
        foreach (long dimension in constant.Tensor.Dims) count = dimension is >= 0 and <= 1 ? count * dimension : 2;
        if (count != 1)
            throw Mismatch($"{Node(index)} takes {role} from {constant.What}, shape [{OnnxArchitecture.Join(constant.Tensor.Dims)}]; a single value was expected");
        CheckFloatData($"{Node(index)}: {constant.What}", constant.Tensor, 1);
        return constant.Tensor.HasRawData
            ? System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(constant.Tensor.RawData.Span)
            : constant.Tensor.FloatData[0];
    }

    // ------------------------------------------------------------------ attributes

    private AttributeProto? Attribute(int index, string name, AttributeType type)
    {
        AttributeProto? attribute = _graph.Node[index].Attribute.FirstOrDefault(a => a.Name == name);
        if (attribute is not null && attribute.Type != type)
            throw Mismatch($"{Node(index)} has attribute '{name}' of type {attribute.Type}; it is {type} in ONNX");
        return attribute;
    }

    private long Int(int index, string name, long fallback) => Attribute(index, name, AttributeType.Int)?.I ?? fallback;

    private float Float(int index, string name, float fallback) => Attribute(index, name, AttributeType.Float)?.F ?? fallback;

    private long[]? Ints(int index, string name) => Attribute(index, name, AttributeType.Ints)?.Ints.ToArray();

    private string String(int index, string name, string fallback) =>
        Attribute(index, name, AttributeType.String) is AttributeProto a ? a.S.ToStringUtf8() : fallback;

    // ------------------------------------------------------------------ words

    private string Node(int index)
    {
        NodeProto node = _graph.Node[index];
        return node.Name.Length > 0
            ? $"node '{node.Name}' ({node.OpType})"
            : $"node {index} ({node.OpType}{(node.Output.Count > 0 ? $" writing '{node.Output[0]}'" : "")})";
    }

    private string Describe(int? index) => index is int i ? Node(i) : $"the end of the graph at '{_current}'";

    private static string TypeName(TypeProto? type) => type?.ValueCase switch
    {
        TypeProto.ValueOneofCase.TensorType => $"a {TypeName(type.TensorType.ElemType)} tensor",
        null or TypeProto.ValueOneofCase.None => "of no type",
        _ => $"a {type.ValueCase}",
    };

    private static string TypeName(int dataType) =>
        Enum.IsDefined((DataType)dataType) ? ((DataType)dataType).ToString().ToLowerInvariant() : $"data type {dataType}";

    private static string Shape(TensorShapeProto? shape) => shape is null
        ? "(none)"
        : "[" + string.Join(", ", shape.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(CultureInfo.InvariantCulture),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
            _ => "?",
        })) + "]";

    private static int Count(int[] form)
    {
        long count = 1;
        foreach (int dimension in form) count *= dimension;
        return count > int.MaxValue ? int.MaxValue : (int)count;
    }

    private InvalidDataException Mismatch(string fault) => new($"{_path}: not an ONNX model of this network: {fault}.");

    private InvalidDataException Malformed(string fault) => Malformed(_path, fault);

    public static InvalidDataException Malformed(string path, string fault, Exception? inner = null) =>
        new($"{path}: not a well-formed ONNX model: {fault}.", inner);
}
