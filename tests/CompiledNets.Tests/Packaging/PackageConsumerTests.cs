using System;
using System.IO;

namespace CompiledNets.Tests.Packaging;

/// <summary>
/// The user's path: pack CompiledNets, then a fresh console project that references only that package (from a
/// local folder) declares a network, builds with warnings as errors, and trains and runs it.
/// </summary>
public class PackageConsumerTests
{
    private const string ConsumerProgram = """
        using System;
        using CompiledNets;

        var net = new XorNet(maxBatchSize: 4, seed: 1);
        float[] inputs = [0, 0, 0, 1, 1, 0, 1, 1];
        int[] labels = [0, 1, 1, 0];
        var adam = new Adam(0.05f);
        for (int step = 0; step < 500; step++)
            net.TrainStep(inputs, labels, adam);
        var probabilities = new float[4 * XorNet.OutputSize];
        net.Predict(inputs, probabilities, batchSize: 4);
        int correct = 0;
        for (int i = 0; i < 4; i++)
            if ((probabilities[2 * i + 1] > 0.5f ? 1 : 0) == labels[i]) correct++;
        Console.WriteLine($"parameters {XorNet.ParameterCount}, correct {correct}/4");

        /// <summary>XOR: the smallest problem a linear model cannot solve.</summary>
        [Network(2)]
        [Dense(8, Activation.Tanh)]
        [Dropout(0.1)]
        [Dense(2)]
        public partial class XorNet;
        """;

    [Fact]
    public void Fresh_project_referencing_only_the_package_builds_and_runs_a_network()
    {
        string repository = RepositoryPaths.Root;
        string configuration = RepositoryPaths.Configuration;
        string work = Directory.CreateTempSubdirectory("compilednets-consumer-").FullName;
        try
        {
            // A version of its own, so no cached package of the same version can stand in for this build.
            string version = "0.1.0-consumer" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
            string feed = Path.Combine(work, "feed");
            var pack = ProcessRunner.Run("dotnet",
                $"pack \"{Path.Combine(repository, "src", "CompiledNets", "CompiledNets.csproj")}\" -c {configuration} --no-build -o \"{feed}\" -p:PackageVersion={version}",
                repository, TimeSpan.FromMinutes(3));
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);
            Assert.True(File.Exists(Path.Combine(feed, $"CompiledNets.{version}.nupkg")), pack.Output);

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <GenerateDocumentationFile>true</GenerateDocumentationFile>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="CompiledNets" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local-compilednets" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);

            var run = ProcessRunner.Run("dotnet", "run -c Release", app, TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, "the consumer did not build or run:\n" + run.Output);
            Assert.Contains("parameters 42, correct 4/4", run.Output);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { /* a leftover temp folder is harmless */ }
        }
    }
}
