using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using CompiledNets.Interop;
using CompiledNets.Serialization;

namespace CompiledNets;

/// <summary>
/// Reads and writes PyTorch state dicts: the weights of <c>nn.Linear</c> and <c>nn.Conv2d</c> modules under their
/// PyTorch names (<c>fc1.weight</c>, <c>0.bias</c>, ...) and in PyTorch's layouts (Linear weight [out, in], the
/// transpose of a Dense layer's [in, out]; Conv2d weight [filters, inChannels, k, k], as a Conv2D layer's). Each
/// layer with parameters (Dense, Conv2D) is one module; layers without parameters (dropout, pooling) and activations
/// have no keys.
/// </summary>
/// <remarks>
/// <para>Loading is strict, like PyTorch's <c>load_state_dict(strict=True)</c>: every key the network needs must be
/// there with its shape, and the file may hold no other key (a BatchNorm's <c>running_mean</c> or
/// <c>num_batches_tracked</c> included: filter the state dict in PyTorch and save again). Every fault is reported at
/// once, naming the key and both shapes, and nothing is loaded unless all is well.</para>
/// <para>A <c>.pt</c> file's pickle is read by a restricted reader that builds only dictionaries, tuples, numbers,
/// strings and tensor descriptions and calls nothing; a global other than <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c> and the <c>torch.*Storage</c> classes
/// is refused where it appears, as is any opcode a state dict is not written with.</para>
/// </remarks>
public static class PyTorch
{
    /// <summary>
    /// Loads a PyTorch state dict into the network's <see cref="ICompiledNetwork.Parameters"/>: a <c>torch.save</c> file
    /// (<c>.pt</c>/<c>.pth</c>, the zip format of PyTorch 1.6 and later) or a <c>.safetensors</c> file with PyTorch's names
    /// and layouts; the format is told by the file's first bytes, not its name. float32 tensors are read as they are;
    /// float64, float16 and bfloat16 ones are converted to float32 (rounded to nearest); other types are refused. Tensors
    /// must be contiguous and row-major.
    /// </summary>
    /// <param name="network">The network to load into; it is changed only if the whole file loads.</param>
    /// <param name="path">The file.</param>
    /// <param name="modules">
    /// The PyTorch module names in layer order, one per layer with parameters (Dense, Conv2D): <c>"0", "3", "6"</c> for an
    /// <c>nn.Sequential</c>, <c>"conv1", "fc1", ...</c> for named modules, <c>"features.0"</c> for nested ones; the keys
    /// read are <c>{module}.weight</c> and <c>{module}.bias</c>. When null, the modules are the prefixes of the file's
    /// <c>*.weight</c> keys, taken in numeric order when their names differ only in numbers (<c>0, 3, 6</c>;
    /// <c>fc1, fc2, fc3</c>) and otherwise matched to the layers by their shapes where only one matching exists.
    /// </param>
    /// <exception cref="InvalidDataException">
    /// The file is damaged, not a state dict, refused (a global or opcode a state dict does not use), or does not fit
    /// the network (a missing or extra key, a shape, a dtype); also when <paramref name="modules"/> is null and the
    /// order of the file's modules cannot be inferred. The message names the file.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="modules"/> has the wrong count, an empty or a repeated name.</exception>
    /// <exception cref="NotSupportedException">The network has a layer kind with parameters that maps to no PyTorch module.</exception>
    public static void LoadStateDict(ICompiledNetwork network, string path, IReadOnlyList<string>? modules = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        List<ModuleSlot> slots = StateDictLayout.Slots(network);
        if (modules is not null) StateDictLayout.Check(modules, slots);

        using StateDictSource source = StateDictSource.Open(path);
        IReadOnlyList<StateDictTensor> tensors = source.Tensors;
        IReadOnlyList<string> names = modules ?? StateDictLayout.Infer(slots, tensors, path);

        var byKey = new Dictionary<string, StateDictTensor>(StringComparer.Ordinal);
        foreach (StateDictTensor tensor in tensors) byKey[tensor.Key] = tensor;
        var faults = new List<string>();
        var parameters = new float[network.ParameterCount];
        var reads = new List<TensorRead>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < slots.Count; i++)
        {
            ModuleSlot slot = slots[i];
            Plan(slot.Weight, names[i] + ".weight", slot.WeightShape, slot.Transpose);
            Plan(slot.Bias, names[i] + ".bias", slot.BiasShape, transpose: false);
        }
        foreach (StateDictTensor tensor in tensors)
        {
            if (!used.Contains(tensor.Key))
                faults.Add($"'{tensor.Key}' {tensor.ShapeText} is not a parameter of any layer");
        }
        if (faults.Count > 0)
        {
            string shown = string.Join("; ", faults.Take(12)) + (faults.Count > 12 ? $"; and {faults.Count - 12} more" : "");
            throw new InvalidDataException($"{path}: cannot load this PyTorch state dict into {network.GetType().Name}: {shown}.");
        }

        source.Read(reads);
        parameters.CopyTo(network.Parameters); // only after every tensor was read and checked

        void Plan(ParameterTensor ours, string key, int[] shape, bool transpose)
        {
            string need = $"{key} for {ours.Name} needs {StateDictTensor.Format(shape)}" +
                          (transpose ? $" (PyTorch's layout of our [{string.Join(", ", ours.Shape)}])" : "");
            if (!byKey.TryGetValue(key, out StateDictTensor? tensor))
            {
                faults.Add($"no tensor {need}");
                return;
            }
            used.Add(key);
            if (!tensor.Shape.SequenceEqual(shape.Select(d => (long)d)))
                faults.Add($"'{key}' has shape {tensor.ShapeText} but {need}");
            else if (!tensor.DType.IsLoadable())
                faults.Add($"'{key}' is {tensor.DType.TorchName()}; only float32, float64, float16 and bfloat16 tensors load");
            else
                reads.Add(new TensorRead(tensor, new TensorTarget(parameters, ours.Offset, shape[0], ours.Length / shape[0], transpose), BigEndian: false));
        }
    }

    /// <summary>
    /// Writes the network's parameters to <paramref name="path"/> as a <c>.safetensors</c> file with PyTorch's names and
    /// layouts (float32, little-endian), which <c>safetensors.torch.load_file</c> reads and the PyTorch model's
    /// <c>load_state_dict</c> takes. The write is atomic: a temporary file, flushed, then renamed over the target.
    /// </summary>
    /// <param name="network">The network whose parameters are saved.</param>
    /// <param name="path">The file to write; a <c>.pt</c> or <c>.pth</c> name is refused (the file is not a pickle).</param>
    /// <param name="modules">
    /// The PyTorch module names in layer order, one per layer with parameters. When null, the names of the
    /// <c>nn.Sequential</c> that mirrors the network layer for layer: one module per declared layer, one per activation
    /// after its layer, and an <c>nn.Flatten</c> before the first Dense after an image layer (a 784-200-100-10 MLP
    /// with dropout after each hidden layer gives <c>"0", "3", "6"</c>).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="modules"/> has the wrong count, an empty or a repeated name, or the path names a pickle file.</exception>
    /// <exception cref="NotSupportedException">The network has a layer kind with parameters that maps to no PyTorch module.</exception>
    public static void SaveStateDict(ICompiledNetwork network, string path, IReadOnlyList<string>? modules = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path);
        if (extension.Equals(".pt", StringComparison.OrdinalIgnoreCase) || extension.Equals(".pth", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"SaveStateDict writes a .safetensors file, not a torch.save pickle; name it {Path.ChangeExtension(Path.GetFileName(path), ".safetensors")}.", nameof(path));
        List<ModuleSlot> slots = StateDictLayout.Slots(network);
        IReadOnlyList<string> names = modules is null ? StateDictLayout.SequentialNames(network) : StateDictLayout.Check(modules, slots);

        // Described as ParameterTensors in file order, so SafeTensors writes the header.
        var entries = new List<(ParameterTensor File, ParameterTensor Ours, bool Transpose)>();
        int offset = 0;
        for (int i = 0; i < slots.Count; i++)
        {
            ModuleSlot slot = slots[i];
            entries.Add((new ParameterTensor(names[i] + ".weight", offset, slot.WeightShape), slot.Weight, slot.Transpose));
            offset += slot.Weight.Length;
            entries.Add((new ParameterTensor(names[i] + ".bias", offset, slot.BiasShape), slot.Bias, false));
            offset += slot.Bias.Length;
        }
        byte[] header = SafeTensors.BuildHeader(entries.Select(e => e.File).ToList(), new Dictionary<string, string> { ["format"] = "pt" });

        // The file's data in PyTorch's layout, from one snapshot of the parameters.
        float[] ours = network.Parameters.ToArray();
        var data = new float[ours.Length];
        foreach ((ParameterTensor file, ParameterTensor tensor, bool transpose) in entries)
        {
            ReadOnlySpan<float> source = ours.AsSpan(tensor.Offset, tensor.Length);
            Span<float> target = data.AsSpan(file.Offset, file.Length);
            if (!transpose)
            {
                source.CopyTo(target);
                continue;
            }
            int rows = tensor.Shape[0], columns = tensor.Shape[1]; // ours [in, out] -> PyTorch [out, in]
            for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                target[c * rows + r] = source[r * columns + c];
        }

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            SafeTensors.WriteLittleEndian(stream, data);
        });
    }
}
