using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using CompiledNets.Serialization.OnnxProto;
using Google.Protobuf;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Loading the reference network's weights (784-200-100-10: 178,110 parameters, 712,440 bytes of float32) from a file
/// into a network, the loading target (at most 10 ms, at most twice the weights' size allocated). The files are
/// written once in the setup: <see cref="Onnx.Save"/>'s model; the same model in the layout <c>torch.onnx.export</c>
/// writes for <c>nn.Linear</c> (Gemm with transB = 1 and [out, in] weights, which the load transposes); and
/// <see cref="PyTorch.SaveStateDict"/>'s <c>.safetensors</c> file. Each operation is one whole load: open, parse,
/// check against the declaration, copy into <c>Parameters</c>.
/// </summary>
[Config(typeof(ShortConfig))]
public class LoadBenchmarks
{
    public enum Format { Onnx, OnnxTransposed, SafeTensors }

    private string _directory = "";
    private string _path = "";
    private ReferenceNet _net = null!;

    [Params(Format.Onnx, Format.OnnxTransposed, Format.SafeTensors)]
    public Format File { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var source = new ReferenceNet(maxBatchSize: 1, seed: 1);
        _directory = Directory.CreateTempSubdirectory("CompiledNets.LoadBenchmarks.").FullName;
        switch (File)
        {
            case Format.Onnx:
                _path = Path.Combine(_directory, "reference.onnx");
                global::CompiledNets.Onnx.Save(source, _path);
                break;
            case Format.OnnxTransposed:
                _path = Path.Combine(_directory, "reference.onnx");
                System.IO.File.WriteAllBytes(_path, Transposed(global::CompiledNets.Onnx.Model(source)).ToByteArray());
                break;
            default:
                _path = Path.Combine(_directory, "reference.safetensors");
                PyTorch.SaveStateDict(source, _path);
                break;
        }
        _net = new ReferenceNet(maxBatchSize: 1, seed: 2);
        Load();
        if (!MemoryMarshal.AsBytes(_net.Parameters).SequenceEqual(MemoryMarshal.AsBytes(source.Parameters)))
            throw new InvalidOperationException($"{_path} did not load the weights it was written with.");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark]
    public void Load()
    {
        if (File == Format.SafeTensors) PyTorch.LoadStateDict(_net, _path);
        else global::CompiledNets.Onnx.Load(_net, _path);
    }

    /// <summary>Every Gemm's weights as [out, in] with transB = 1, as torch.onnx.export writes nn.Linear.</summary>
    private static ModelProto Transposed(ModelProto model)
    {
        foreach (NodeProto gemm in model.Graph.Node.Where(n => n.OpType == "Gemm"))
        {
            TensorProto weight = model.Graph.Initializer.Single(t => t.Name == gemm.Input[1]);
            int inputs = (int)weight.Dims[0], units = (int)weight.Dims[1];
            ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(weight.RawData.Span);
            var transposed = new float[values.Length];
            for (int i = 0; i < inputs; i++)
                for (int o = 0; o < units; o++)
                    transposed[o * inputs + i] = values[i * units + o];
            weight.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(transposed.AsSpan()));
            weight.Dims.Clear();
            weight.Dims.Add([units, inputs]);
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }
        return model;
    }
}
