using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;
using CompiledNets.Tests.Data;
using Xunit.Abstractions;

namespace CompiledNets.Tests.PyTorchInterop;

/// <summary>
/// Seeded fuzzing of <see cref="PyTorch.LoadStateDict"/> on damaged copies of the fixture files: each load either
/// succeeds or throws an <see cref="InvalidDataException"/> whose message starts with the path, leaving the parameters
/// unchanged — never another exception type, never a hang (<see cref="CaseTimeout"/>), never a failing load that
/// allocates more than <see cref="AllocationBound"/>.
/// </summary>
/// <remarks>
/// Damage to a whole .pt file is almost always caught by the CRC-32 of the entries read, so a .pt that still loads
/// must give exactly the original parameters. Damage to the pickle alone (rewrapped in a zip with valid CRCs) and to
/// safetensors files may load other values; only the outcome's type is judged there. Every case is a pure function of
/// (category, seed), printed with a failure; <see cref="Replay"/> reruns one.
/// </remarks>
public sealed class PyTorchStateDictFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(10);
    private const long AllocationBound = 16L << 20;
    private const int CasesPerFile = 250;

    private static readonly string[] PtFiles = ["mlp.pt", "cnn.pt", "mlp_protocol4.pt"];
    private static readonly string[] SafeTensorsFiles = ["mlp.safetensors", "cnn.safetensors"];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Bit_flips_anywhere_load_exactly_or_are_invalid_data() =>
        Run("flips", PtFiles.Concat(SafeTensorsFiles));

    [Fact]
    public void Truncations_are_invalid_data() =>
        Run("truncation", PtFiles.Concat(SafeTensorsFiles));

    [Fact]
    public void Overwritten_byte_runs_load_exactly_or_are_invalid_data() =>
        Run("run", PtFiles.Concat(SafeTensorsFiles));

    [Fact]
    public void Damaged_pickles_in_valid_zips_load_or_are_invalid_data() =>
        Run("pickle", PtFiles);

    [Fact]
    public void Damaged_safetensors_headers_load_or_are_invalid_data() =>
        Run("header", SafeTensorsFiles);

    [Theory]
    [InlineData("pickle", "mlp.pt", 0)]
    [InlineData("flips", "cnn.safetensors", 0)]
    public void Replay(string category, string file, int seed)
    {
        string? failure = Check(category, file, seed);
        Assert.True(failure is null, failure);
    }

    private void Run(string category, IEnumerable<string> files)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        int cases = 0, loaded = 0;
        foreach (string file in files)
        {
            for (int seed = 0; seed < CasesPerFile; seed++)
            {
                cases++;
                string? failure = Check(category, file, seed, () => loaded++);
                if (failure is not null) failures.Add(failure);
            }
        }
        output.WriteLine($"{category}: {cases} cases, {loaded} loaded, {failures.Count} failed, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed; the first ones:\n" + string.Join("\n", failures.Take(10)));
    }

    /// <summary>Runs one case; null when it passed, else what went wrong.</summary>
    private string? Check(string category, string file, int seed, Action? onLoaded = null)
    {
        // A stable seed per (category, file): string.GetHashCode is randomized per process.
        var random = new Random(((category + "/" + file).Aggregate(17, (hash, c) => unchecked(hash * 31 + c)) & 0x3FFF_0000) + seed);
        (byte[] damaged, string description, bool exact) = Damage(category, File.ReadAllBytes(StateDictFixtures.File(file)), random);
        string name = $"{category} {file} seed {seed} ({description})";
        string path = _directory.File($"case{seed}{Path.GetExtension(file)}");
        File.WriteAllBytes(path, damaged);

        string network = StateDictFixtures.NetworkOf(file);
        ICompiledNetwork net = StateDictFixtures.NewNetwork(network, seed: 5);
        int[] before = StateDictFixtures.Bits(net);
        string[]? modules = seed % 2 == 0 ? null : StateDictFixtures.Modules(network);
        long allocated = 0;
        var load = Task.Run(() =>
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                PyTorch.LoadStateDict(net, path, modules);
            }
            finally
            {
                allocated = GC.GetAllocatedBytesForCurrentThread() - start;
            }
        });
        try
        {
            if (!load.Wait(CaseTimeout))
                return $"{name}: did not finish within {CaseTimeout.TotalSeconds} s (hang)";
        }
        catch (AggregateException e) when (e.InnerException is InvalidDataException invalid)
        {
            if (!invalid.Message.StartsWith(path, StringComparison.Ordinal))
                return $"{name}: the message does not start with the path: {invalid.Message}";
            if (!before.AsSpan().SequenceEqual(StateDictFixtures.Bits(net)))
                return $"{name}: refused ({invalid.Message}) but the parameters changed";
            if (allocated > AllocationBound)
                return $"{name}: allocated {allocated:N0} bytes on a failing load: {invalid.Message}";
            return null;
        }
        catch (AggregateException e)
        {
            return $"{name}: {e.InnerException!.GetType().Name}: {e.InnerException.Message}\n{e.InnerException.StackTrace}";
        }
        onLoaded?.Invoke();
        if (exact)
        {
            ICompiledNetwork original = StateDictFixtures.NewNetwork(network, seed: 6);
            PyTorch.LoadStateDict(original, StateDictFixtures.File(file));
            if (!StateDictFixtures.Bits(original).AsSpan().SequenceEqual(StateDictFixtures.Bits(net)))
                return $"{name}: loaded, but other values than the undamaged file's";
        }
        return null;
    }

    /// <summary>The damaged bytes, what was done, and whether a load must give the original parameters.</summary>
    private static (byte[] File, string Description, bool Exact) Damage(string category, byte[] file, Random random)
    {
        bool zip = file[0] == 'P';
        switch (category)
        {
            case "flips":
            {
                return (file, $"bits flipped at {FlipBits(file, random.Next(1, 9), random)}", zip);
            }
            case "truncation":
            {
                int length = random.Next(file.Length);
                return (file[..length], $"cut to {length} of {file.Length} bytes", true);
            }
            case "run":
            {
                int start = random.Next(file.Length), length = Math.Min(random.Next(1, 33), file.Length - start);
                int kind = random.Next(3);
                for (int i = start; i < start + length; i++)
                    file[i] = kind switch { 0 => 0, 1 => 0xFF, _ => (byte)random.Next(256) };
                return (file, $"{length} bytes from {start} set to {(kind switch { 0 => "0x00", 1 => "0xFF", _ => "random" })}", zip);
            }
            case "pickle":
                return DamagePickle(file, random);
            default: // "header": flips inside the 8-byte length and the JSON header only
            {
                int headerEnd = 8 + (int)BitConverter.ToUInt64(file, 0);
                int position = random.Next(headerEnd);
                file[position] ^= (byte)(1 << random.Next(8));
                return (file, $"bit flipped at {position} of the {headerEnd}-byte header", false);
            }
        }
    }

    /// <summary>Flips <paramref name="count"/> random bits; returns where.</summary>
    private static string FlipBits(byte[] bytes, int count, Random random)
    {
        var at = new List<int>();
        for (int i = 0; i < count; i++)
        {
            int position = random.Next(bytes.Length);
            bytes[position] ^= (byte)(1 << random.Next(8));
            at.Add(position);
        }
        return string.Join(", ", at);
    }

    /// <summary>Damages data.pkl of a .pt file and writes a new zip around it with every other entry unchanged.</summary>
    private static (byte[] File, string Description, bool Exact) DamagePickle(byte[] file, Random random)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var zip = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read))
        {
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                using var bytes = new MemoryStream();
                using (Stream stream = entry.Open()) stream.CopyTo(bytes);
                entries.Add((entry.FullName, bytes.ToArray()));
            }
        }
        int index = entries.FindIndex(e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        byte[] pickle = entries[index].Bytes;
        string description;
        switch (random.Next(4))
        {
            case 0:
            {
                description = $"pickle bits flipped at {FlipBits(pickle, random.Next(1, 4), random)}";
                break;
            }
            case 1:
            {
                int length = random.Next(pickle.Length);
                pickle = pickle[..length];
                description = $"pickle cut to {length} bytes";
                break;
            }
            case 2:
            {
                int start = random.Next(pickle.Length), length = random.Next(1, Math.Min(40, pickle.Length - start) + 1);
                pickle = [.. pickle[..start], .. pickle[(start + length)..]];
                description = $"pickle bytes {start}..{start + length} removed";
                break;
            }
            default:
            {
                int start = random.Next(pickle.Length), length = random.Next(1, Math.Min(40, pickle.Length - start) + 1);
                int at = random.Next(pickle.Length);
                pickle = [.. pickle[..at], .. pickle.AsSpan(start, length).ToArray(), .. pickle[at..]];
                description = $"pickle bytes {start}..{start + length} copied to {at}";
                break;
            }
        }
        entries[index] = (entries[index].Name, pickle);
        using var result = new MemoryStream();
        using (var zip = new ZipArchive(result, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in entries)
            {
                using Stream stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        }
        return (result.ToArray(), description, false);
    }
}
