using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using CompiledNets.Serialization.OnnxProto;
using CompiledNets.Tests.Data;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Interop;

/// <summary>
/// Seeded fuzzing of <see cref="Onnx.Load"/> on four models (two we saved, the two PyTorch fixtures): damaged bytes
/// (random files, truncation at every 1/64 of the file and at random lengths, bit flips, overwritten, deleted and
/// inserted bytes) and random edits of the parsed model (operators, wiring, attributes, dimensions, data types, values,
/// removed or repeated nodes, opset). Every load ends in an <see cref="InvalidDataException"/> naming the file or in
/// success — never another exception type, never a hang (each case runs under <see cref="CaseTimeout"/>), never more
/// than <see cref="AllocationBound"/> allocated. Random files and truncations must fail. Damaged bytes that still load
/// change at most one parameter per damaged byte. An edited model that loads must compute what the network computes:
/// ONNX Runtime runs it, and its outputs equal Predict's within 1e-4. Every case is a pure function of (base, kind,
/// seed), printed with any failure.
/// </summary>
public sealed class OnnxFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);
    private const long AllocationBound = 64L << 20;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private sealed record Base(string Name, string Network, byte[] Bytes, byte[] Parameters);

    private Base[] Bases()
    {
        Base Saved(string network)
        {
            string path = _directory.File(network + ".base.onnx");
            ICompiledNetwork net = OnnxTestSupport.Create(network);
            Onnx.Save(net, path);
            return new Base(network, network, File.ReadAllBytes(path), OnnxTestSupport.Bytes(net.Parameters));
        }
        Base Fixture(string file, string network)
        {
            string path = OnnxTestSupport.FixturePath(file);
            ICompiledNetwork net = OnnxTestSupport.Fresh(network);
            Onnx.Load(net, path);
            return new Base(file, network, File.ReadAllBytes(path), OnnxTestSupport.Bytes(net.Parameters));
        }
        return [Saved(nameof(OnnxMlpNet)), Saved(nameof(OnnxPoolDropoutNet)), Fixture("pytorch_mlp.onnx", nameof(PyTorchOnnxMlp)),
                Fixture("pytorch_cnn.onnx", nameof(PyTorchOnnxCnn))];
    }

    private sealed class Tally
    {
        public int Cases, Loaded, Refused, RuntimeRejected;
        public readonly List<string> Failures = [];
    }

    private enum Rule { MustFail, DamagedBytes, SameFunction }

    // ------------------------------------------------------------------ damaged bytes

    /// <summary>Runs <paramref name="one"/> for every base and seed 0 .. <paramref name="seeds"/> - 1 with a Random of that seed, then reports.</summary>
    private void Seeded(int seeds, Action<Tally, Base, int, Random> one)
    {
        var tally = new Tally();
        foreach (Base b in Bases())
            for (int seed = 0; seed < seeds; seed++)
                one(tally, b, seed, new Random(seed));
        Report(tally);
    }

    [Fact]
    public void Random_files_are_invalid_data() =>
        Seeded(150, (tally, b, seed, random) =>
            {
                byte[] bytes = new byte[random.Next(0, 2 * b.Bytes.Length)];
                random.NextBytes(bytes);
                if (seed % 3 == 1 && bytes.Length > 0) bytes[0] = 0x08; // starts like a model: field 1 (ir_version), varint
                if (seed % 3 == 2 && bytes.Length > 2) b.Bytes.AsSpan(0, Math.Min(b.Bytes.Length, bytes.Length / 2)).CopyTo(bytes); // a real head, a random tail
                Run(tally, b, "random", seed, bytes, Rule.MustFail, damaged: 0);
            });

    [Fact]
    public void Truncation_at_every_64th_of_the_file_and_at_random_lengths_is_invalid_data()
    {
        var tally = new Tally();
        foreach (Base b in Bases())
        {
            for (int k = 0; k < 64; k++)
                Run(tally, b, "truncated k/64", k, b.Bytes[..(int)((long)b.Bytes.Length * k / 64)], Rule.MustFail, damaged: 0);
            var random = new Random(64);
            for (int seed = 0; seed < 100; seed++)
            {
                int length = random.Next(0, b.Bytes.Length);
                Run(tally, b, "truncated at random", length, b.Bytes[..length], Rule.MustFail, damaged: 0);
            }
            Run(tally, b, "truncated by one byte", 0, b.Bytes[..^1], Rule.MustFail, damaged: 0);
        }
        Report(tally);
    }

    [Fact]
    public void Bit_flips_load_almost_the_same_parameters_or_are_invalid_data() =>
        Seeded(400, (tally, b, seed, random) =>
            {
                byte[] bytes = (byte[])b.Bytes.Clone();
                int flips = 1 + seed % 4;
                for (int f = 0; f < flips; f++)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                Run(tally, b, $"{flips} bit flips", seed, bytes, Rule.DamagedBytes, damaged: flips);
            });

    [Fact]
    public void Overwritten_deleted_and_inserted_bytes_are_handled() =>
        Seeded(300, (tally, b, seed, random) =>
            {
                int at = random.Next(b.Bytes.Length), count = 1 + random.Next(16);
                count = Math.Min(count, b.Bytes.Length - at);
                byte[] run = new byte[count];
                random.NextBytes(run);
                switch (seed % 3)
                {
                    case 0:
                        byte[] overwritten = (byte[])b.Bytes.Clone();
                        run.CopyTo(overwritten, at);
                        Run(tally, b, $"{count} bytes overwritten", seed, overwritten, Rule.DamagedBytes, damaged: count);
                        break;
                    case 1:
                        Run(tally, b, $"{count} bytes deleted", seed, [.. b.Bytes[..at], .. b.Bytes[(at + count)..]], Rule.DamagedBytes, damaged: int.MaxValue);
                        break;
                    default:
                        Run(tally, b, $"{count} bytes inserted", seed, [.. b.Bytes[..at], .. run, .. b.Bytes[at..]], Rule.DamagedBytes, damaged: int.MaxValue);
                        break;
                }
            });

    // ------------------------------------------------------------------ edited models

    private static readonly string[] Operators =
    [
        "Relu", "Tanh", "Sigmoid", "Gemm", "MatMul", "Add", "Mul", "Conv", "MaxPool", "Softmax", "LogSoftmax", "Flatten",
        "Reshape", "Identity", "Dropout", "Transpose", "Pad", "Shape", "Gather", "Concat", "Unsqueeze", "Squeeze", "Slice",
        "Cast", "ConstantOfShape", "Constant", "Abs", "AveragePool",
    ];

    private static readonly string[] AttributeNames =
        ["axis", "transA", "transB", "alpha", "beta", "pads", "strides", "kernel_shape", "dilations", "group", "perm", "auto_pad", "ceil_mode", "allowzero", "mode"];

    private static readonly long[] Numbers = [-9, -2, -1, 0, 1, 2, 3, 4, 5, 7, int.MaxValue, long.MaxValue, long.MinValue, long.MinValue + 1];

    [Fact]
    public void Edited_models_that_load_compute_what_the_network_computes()
    {
        var tally = new Tally();
        foreach (Base b in Bases())
            for (int seed = 0; seed < 15000; seed++)
            {
                var random = new Random(seed * 7919 + b.Name.Length);
                ModelProto model = ModelProto.Parser.ParseFrom(b.Bytes);
                int edits = 1 + random.Next(3);
                var done = new List<string>();
                for (int e = 0; e < edits; e++) done.Add(Edit(model, random));
                Run(tally, b, "edits: " + string.Join("; ", done), seed, model.ToByteArray(), Rule.SameFunction, damaged: 0);
            }
        Report(tally);
        // The edits must reach the graph checker, not just the parser: most models are refused, some still load.
        Assert.True(tally.Loaded > 0 && tally.Refused > tally.Cases / 2, $"{tally.Loaded} loaded, {tally.Refused} refused of {tally.Cases}");
    }

    /// <summary>One random edit; returns what it did.</summary>
    private static string Edit(ModelProto model, Random random)
    {
        GraphProto graph = model.Graph;
        string[] values = graph.Node.SelectMany(n => n.Output).Concat(graph.Initializer.Select(t => t.Name)).Concat(graph.Input.Select(i => i.Name))
            .Append("").Append("nowhere").Distinct().ToArray();
        long Number() => random.Next(3) == 0 ? Numbers[random.Next(Numbers.Length)] : random.Next(-2, 8);
        NodeProto? node = graph.Node.Count > 0 ? graph.Node[random.Next(graph.Node.Count)] : null;
        TensorProto? tensor = graph.Initializer.Count > 0 ? graph.Initializer[random.Next(graph.Initializer.Count)] : null;
        switch (random.Next(14))
        {
            case 0 when node is not null:
                string op = Operators[random.Next(Operators.Length)];
                node.OpType = op;
                return $"{node.Name} becomes {op}";
            case 1 when node is not null && node.Input.Count > 0:
                int i = random.Next(node.Input.Count);
                node.Input[i] = values[random.Next(values.Length)];
                return $"{node.Name} input {i} := '{node.Input[i]}'";
            case 2 when node is not null:
                node.Input.Add(values[random.Next(values.Length)]);
                return $"{node.Name} gets input '{node.Input[^1]}'";
            case 3 when node is not null && node.Attribute.Count > 0:
            {
                AttributeProto attribute = node.Attribute[random.Next(node.Attribute.Count)];
                switch (attribute.Type)
                {
                    case AttributeProto.Types.AttributeType.Ints when attribute.Ints.Count > 0:
                        attribute.Ints[random.Next(attribute.Ints.Count)] = Number();
                        break;
                    case AttributeProto.Types.AttributeType.Int:
                        attribute.I = Number();
                        break;
                    case AttributeProto.Types.AttributeType.Float:
                        attribute.F = new[] { 0f, 1f, 2f, -1f, float.NaN }[random.Next(5)];
                        break;
                    case AttributeProto.Types.AttributeType.Tensor when attribute.T is { } t:
                        EditTensor(t, random, Number);
                        break;
                    default:
                        attribute.Type = (AttributeProto.Types.AttributeType)random.Next(1, 10);
                        break;
                }
                return $"{node.Name} attribute {attribute.Name} edited";
            }
            case 4 when node is not null:
            {
                string name = AttributeNames[random.Next(AttributeNames.Length)];
                var attribute = new AttributeProto { Name = name };
                switch (random.Next(3))
                {
                    case 0: attribute.Type = AttributeProto.Types.AttributeType.Int; attribute.I = Number(); break;
                    case 1: attribute.Type = AttributeProto.Types.AttributeType.Ints; for (int k = random.Next(5); k > 0; k--) attribute.Ints.Add(Number()); break;
                    default: attribute.Type = AttributeProto.Types.AttributeType.String; attribute.S = ByteString.CopyFromUtf8(new[] { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "reflect" }[random.Next(5)]); break;
                }
                node.Attribute.Add(attribute);
                return $"{node.Name} gets attribute {name}";
            }
            case 5 when node is not null && node.Attribute.Count > 0:
                node.Attribute.RemoveAt(random.Next(node.Attribute.Count));
                return $"{node.Name} loses an attribute";
            case 6 when node is not null:
                graph.Node.Remove(node);
                return $"{node.Name} removed";
            case 7 when node is not null:
                graph.Node.Insert(random.Next(graph.Node.Count + 1), node.Clone());
                return $"{node.Name} repeated";
            case 8 when tensor is not null:
                EditTensor(tensor, random, Number);
                return $"initializer {tensor.Name} edited";
            case 9 when tensor is not null:
                tensor.Name = values[random.Next(values.Length)];
                return $"an initializer renamed '{tensor.Name}'";
            case 10 when graph.Input.Count > 0 && graph.Input[0].Type?.TensorType?.Shape is { Dim.Count: > 0 } shape:
                shape.Dim[random.Next(shape.Dim.Count)].DimValue = Number();
                return "input dimension edited";
            case 11 when graph.Output.Count > 0:
                graph.Output[0].Name = values[random.Next(values.Length)];
                return $"output := '{graph.Output[0].Name}'";
            case 12 when model.OpsetImport.Count > 0:
                model.OpsetImport[0].Version = random.Next(1, 26);
                return $"opset {model.OpsetImport[0].Version}";
            case 13 when node is not null && node.Output.Count > 0:
                node.Output[0] = values[random.Next(values.Length)];
                return $"{node.Name} writes '{node.Output[0]}'";
            default:
                return "nothing";
        }
    }

    private static void EditTensor(TensorProto tensor, Random random, Func<long> number)
    {
        switch (random.Next(5))
        {
            case 0 when tensor.Dims.Count > 0:
                tensor.Dims[random.Next(tensor.Dims.Count)] = number();
                break;
            case 1:
                tensor.DataType = random.Next(0, 17);
                break;
            case 2 when tensor.HasRawData && tensor.RawData.Length > 0:
                tensor.RawData = ByteString.CopyFrom(tensor.RawData.Span[..random.Next(tensor.RawData.Length)]);
                break;
            case 3 when tensor.Int64Data.Count > 0:
                tensor.Int64Data[random.Next(tensor.Int64Data.Count)] = number();
                break;
            case 3 when tensor.HasRawData && tensor.DataType == (int)TensorProto.Types.DataType.Int64 && tensor.RawData.Length >= 8:
                byte[] raw = tensor.RawData.ToByteArray();
                BitConverter.GetBytes(number()).CopyTo(raw, 8 * random.Next(raw.Length / 8));
                tensor.RawData = ByteString.CopyFrom(raw);
                break;
            default:
                tensor.Dims.Add(1);
                break;
        }
    }

    // ------------------------------------------------------------------ running a case

    private void Run(Tally tally, Base b, string kind, int seed, byte[] bytes, Rule rule, int damaged)
    {
        tally.Cases++;
        string where = $"{b.Name} / {kind} / seed {seed}";
        string path = _directory.File("case.onnx");
        File.WriteAllBytes(path, bytes);
        ICompiledNetwork network = OnnxTestSupport.Create(b.Network, seed: 3);
        byte[] before = OnnxTestSupport.Bytes(network.Parameters);

        var load = Task.Factory.StartNew(() =>
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                Onnx.Load(network, path);
                return ((Exception?)null, GC.GetAllocatedBytesForCurrentThread() - start);
            }
            catch (Exception e)
            {
                return (e, GC.GetAllocatedBytesForCurrentThread() - start);
            }
        }, TaskCreationOptions.LongRunning);
        if (!load.Wait(CaseTimeout))
        {
            tally.Failures.Add($"{where}: did not finish within {CaseTimeout.TotalSeconds} s (hang)");
            return;
        }
        (Exception? error, long allocated) = load.Result;
        if (allocated > AllocationBound)
            tally.Failures.Add($"{where}: allocated {allocated:N0} bytes (bound {AllocationBound:N0})");

        if (error is not null)
        {
            tally.Refused++;
            if (error is not InvalidDataException)
                tally.Failures.Add($"{where}: {error.GetType().Name} instead of InvalidDataException: {error}");
            else if (!error.Message.StartsWith(path + ":", StringComparison.Ordinal))
                tally.Failures.Add($"{where}: the message does not start with the file: {error.Message}");
            else if (!OnnxTestSupport.Bytes(network.Parameters).AsSpan().SequenceEqual(before))
                tally.Failures.Add($"{where}: parameters changed by a failed load");
            return;
        }

        tally.Loaded++;
        byte[] after = OnnxTestSupport.Bytes(network.Parameters);
        switch (rule)
        {
            case Rule.MustFail:
                tally.Failures.Add($"{where}: loaded a file that must be refused");
                break;
            case Rule.DamagedBytes:
                int changed = Enumerable.Range(0, after.Length / 4).Count(i => !after.AsSpan(4 * i, 4).SequenceEqual(b.Parameters.AsSpan(4 * i, 4)));
                if (changed > damaged)
                    tally.Failures.Add($"{where}: loaded with {changed} parameters changed by {damaged} damaged bytes");
                break;
            case Rule.SameFunction:
                CheckSameFunction(tally, where, path, network);
                break;
        }
    }

    /// <summary>An edited model that loaded must compute what the network (with the loaded parameters) computes.</summary>
    private static void CheckSameFunction(Tally tally, string where, string path, ICompiledNetwork network)
    {
        const int batch = 2;
        float[] inputs, expected, runtime;
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(path, options);
            int[] declared = session.InputMetadata.Values.Single().Dimensions;
            int rows = declared[0] > 0 ? declared[0] : batch; // an edit may have fixed the batch size
            if (rows > network.MaxBatchSize)
                return; // a fixed batch larger than the network takes: nothing to compare (the weights do not depend on it)
            inputs = OnnxTestSupport.Inputs(rows * network.InputSize, seed: 5);
            runtime = OnnxTestSupport.RunOnnxRuntime(path, inputs, [rows, .. declared[1..]], out _);
            expected = OnnxTestSupport.Predict(network, inputs, rows);
        }
        catch (OnnxRuntimeException e)
        {
            // Load accepted a model that is not valid ONNX: it checks less than it should.
            tally.RuntimeRejected++;
            tally.Failures.Add($"{where}: loaded, but ONNX Runtime refuses the model: {e.Message.Split('\n')[0]}");
            return;
        }
        if (runtime.Length != expected.Length)
        {
            tally.Failures.Add($"{where}: loaded, but ONNX Runtime gives {runtime.Length} outputs where the network gives {expected.Length}");
            return;
        }
        // A classifier model may end in logits or LogSoftmax: compare probabilities.
        if (network.LossFunction == LossFunction.SoftmaxCrossEntropy && !IsDistribution(runtime, network.OutputSize))
            runtime = Softmax(runtime.Select(v => v).ToArray(), network.OutputSize);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - runtime[i]) <= 1e-4f))
            {
                tally.Failures.Add($"{where}: loaded, but ONNX Runtime gives {runtime[i]} where Predict gives {expected[i]} (output {i})");
                return;
            }
        }
    }

    private static bool IsDistribution(float[] values, int width) =>
        values.All(v => v >= 0) && Enumerable.Range(0, values.Length / width).All(r => Math.Abs(values.Skip(r * width).Take(width).Sum() - 1) < 1e-4);

    private static float[] Softmax(float[] x, int width)
    {
        for (int r = 0; r < x.Length / width; r++)
        {
            Span<float> row = x.AsSpan(r * width, width);
            float max = float.MinValue;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (float v in row) sum += Math.Exp(v - max);
            for (int j = 0; j < width; j++) row[j] = (float)(Math.Exp(row[j] - max) / sum);
        }
        return x;
    }

    private void Report(Tally tally)
    {
        output.WriteLine($"{tally.Cases} cases: {tally.Loaded} loaded, {tally.Refused} refused, {tally.RuntimeRejected} loaded but refused by ONNX Runtime");
        Assert.True(tally.Failures.Count == 0, $"{tally.Failures.Count} of {tally.Cases} cases failed:\n" + string.Join("\n", tally.Failures.Take(25)));
    }
}
