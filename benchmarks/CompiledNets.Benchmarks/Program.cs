using System;
using System.Globalization;
using BenchmarkDotNet.Running;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- [BenchmarkDotNet arguments]</c> runs the suite (benchmarks/README.md);
/// <c>-- --dropout-family [rounds]</c> times the dropout family's train steps interleaved (a development aid);
/// <c>-- --dropconnect [rounds]</c> the DropConnect and Dropout train steps interleaved, then the DropConnect kernels;
/// <c>-- --conv-kernels</c> times LeNet's image kernels one at a time (a development aid);
/// <c>-- --steps [threads]</c> prints where the time of a train step goes, kernel by kernel (<c>-- --steps-lenet [threads]</c>
/// the same for LeNet, <c>-- --infer-lenet</c> for the trained LeNet's inference of 128 images); <c>-- --lenet-vs-onnx
/// [rounds]</c> times LeNet's Predict and ONNX Runtime interleaved in one process (a development aid); <c>-- --infer</c> and
/// <c>-- --epochs</c> time inference and whole epochs with a Stopwatch (development aids, not the quoted numbers);
/// <c>-- --check-onnx</c> checks ONNX Runtime's probabilities against <c>Predict</c>'s (exit code 1 if they differ) and
/// <c>-- --write-onnx DIR</c> writes the two models it runs (reference.onnx, lenet.onnx) there,
/// <c>-- --work</c> prints the FLOPs of each benchmark's matrix products and <c>-- --level</c> what this process's
/// vector level is, as JSON (benchmarks/run.sh reads both); <c>-- --train-reference PATH [LENET_PATH]</c> writes the
/// trained weights the inference benchmarks read when <c>COMPILEDNETS_REFERENCE_WEIGHTS</c> (and
/// <c>COMPILEDNETS_LENET_WEIGHTS</c>) name those files.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--kernels")
        {
            KernelProbe.Run();
            return;
        }
        if (args.Length > 0 && args[0] == "--conv-kernels")
        {
            ConvProbe.Run(args.Length > 1 ? args[1] : null);
            return;
        }
        if (args.Length > 0 && args[0] == "--dropout-family")
        {
            DropoutFamilyBenchmarks.RunInterleaved(rounds: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
            return;
        }
        if (args.Length > 0 && args[0] == "--dropconnect")
        {
            DropConnectTrainStepBenchmarks.RunInterleaved(rounds: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
            return;
        }
        if (args.Length > 0 && args[0] == "--steps")
        {
            StepBreakdown.Run(threads: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
            return;
        }
        if (args.Length > 0 && args[0] == "--steps-lenet")
        {
            StepBreakdown.RunLeNet(threads: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
            return;
        }
        if (args.Length > 0 && args[0] == "--infer-lenet")
        {
            StepBreakdown.InferLeNet();
            return;
        }
        if (args.Length > 0 && args[0] == "--lenet-vs-onnx")
        {
            LeNetVersusOnnx.Run(rounds: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
            return;
        }
        if (args.Length > 0 && args[0] == "--epochs")
        {
            Probes.Epochs();
            return;
        }
        if (args.Length > 0 && args[0] == "--check-onnx")
        {
            Environment.ExitCode = OnnxCheck.Run();
            return;
        }
        if (args.Length > 1 && args[0] == "--train-reference")
        {
            Data.SaveTrained(args[1], args.Length > 2 ? args[2] : null);
            return;
        }
        if (args.Length > 1 && args[0] == "--write-onnx")
        {
            System.IO.File.WriteAllBytes(System.IO.Path.Combine(args[1], "reference.onnx"), OnnxModel.Build(Data.TrainedReference()));
            System.IO.File.WriteAllBytes(System.IO.Path.Combine(args[1], "lenet.onnx"), OnnxModel.Build(Data.TrainedLeNet()));
            return;
        }
        if (args.Length > 0 && args[0] == "--work")
        {
            Work.Print();
            return;
        }
        if (args.Length > 0 && args[0] == "--level")
        {
            Console.WriteLine(LevelProbe.Json(child: false));
            return;
        }
        if (args.Length > 0 && args[0] == "--infer")
        {
            Probes.Inference();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
