using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using BenchmarkDotNet.Attributes;

namespace CompiledNets.Benchmarks;

/// <summary>
/// The fp32 peak of one core at the vector width the runtime accelerates (<see cref="Peak"/>), and, from its setup —
/// which runs in BenchmarkDotNet's child process — a record of what that process sees (<see cref="LevelProbe"/>): the
/// file named by <c>COMPILEDNETS_LEVEL_PROBE</c>, which <c>benchmarks/run.sh</c> sets, so the per-level tables show the
/// child's own vector level rather than the host's.
/// </summary>
[Config(typeof(ShortConfig))]
public class PeakBenchmarks
{
    private float[] _a = [], _b = [];

    [GlobalSetup]
    public void Setup()
    {
        (_a, _b) = Peak.Operands();
        if (Environment.GetEnvironmentVariable("COMPILEDNETS_LEVEL_PROBE") is { Length: > 0 } path)
            File.WriteAllText(path, LevelProbe.Json(child: true));
    }

    [Benchmark]
    public float Fma() => Peak.Run(_a, _b);
}

/// <summary>
/// An fp32 multiply-add loop that runs at the machine's peak: the register tile of a matrix product (6 rows of A
/// broadcast, 4 vectors of B per row for <see cref="Vector512{T}"/> = 24 independent accumulators; 2 vectors per row,
/// 12 accumulators, for <see cref="Vector256{T}"/> and <see cref="Vector128{T}"/>), over operands that stay in L1
/// (6 × 64 floats of A, 64 rows of B). <see cref="FusedMultiplyAdd"/> when the hardware has FMA at that width
/// (x86 FMA3, ARM64 AdvSimd), otherwise a multiply and an add (two instructions, the same two flops): the JIT's
/// <c>MultiplyAddEstimate</c>, as the kernels' <c>Simd128.MultiplyAdd</c>. (A <c>FusedMultiplyAdd ? Vector128.FusedMultiplyAdd
/// : a * b + c</c> helper ran at a third of that with FMA switched off — 14.7 against 45.7 GFLOP/s on a Zen 5 with
/// <c>DOTNET_EnableAVX2=0</c> — which made the 128-bit level's "share of peak" exceed 100%.)
/// </summary>
internal static unsafe class Peak
{
    private const int Rows = 6, K = 64, Repeats = 64;

    /// <summary>Floats per vector at the widest accelerated width (1: scalar).</summary>
    public static int Width =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128.IsHardwareAccelerated ? Vector128<float>.Count : 1;

    /// <summary>Whether the loop uses fused multiply-adds (one instruction per two flops).</summary>
    public static bool FusedMultiplyAdd => Fma.IsSupported || AdvSimd.IsSupported;

    private static int Vectors => Width == 16 ? 4 : 2;

    /// <summary>Floating-point operations of one <see cref="Run"/>.</summary>
    public static long FlopsPerCall => 2L * Repeats * K * Rows * Vectors * Width;

    public static (float[] A, float[] B) Operands()
    {
        var a = GC.AllocateArray<float>(Rows * K, pinned: true);
        var b = GC.AllocateArray<float>(K * 4 * 16, pinned: true);
        // Values that neither overflow nor go subnormal over the repeats: products near 1e-3, sums bounded.
        for (int i = 0; i < a.Length; i++) a[i] = 1e-2f * (1 + i % 7);
        for (int i = 0; i < b.Length; i++) b[i] = (i % 2 == 0 ? 1e-2f : -1e-2f) * (1 + i % 5);
        return (a, b);
    }

    public static float Run(float[] a, float[] b)
    {
        fixed (float* pa = a, pb = b)
        {
            if (Vector512.IsHardwareAccelerated) return Run512(pa, pb);
            if (Vector256.IsHardwareAccelerated) return Run256(pa, pb);
            if (Vector128.IsHardwareAccelerated) return Run128(pa, pb);
            return RunScalar(pa, pb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Madd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Madd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Madd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Vector128.MultiplyAddEstimate(a, b, c);

    private static float Run512(float* a, float* b)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        for (int r = 0; r < Repeats; r++)
        {
            for (int k = 0; k < K; k++)
            {
                float* pb = b + k * 64;
                Vector512<float> b0 = Vector512.Load(pb), b1 = Vector512.Load(pb + 16), b2 = Vector512.Load(pb + 32), b3 = Vector512.Load(pb + 48);
                Vector512<float> x = Vector512.Create(a[k]);
                c00 = Madd(x, b0, c00); c01 = Madd(x, b1, c01); c02 = Madd(x, b2, c02); c03 = Madd(x, b3, c03);
                x = Vector512.Create(a[K + k]);
                c10 = Madd(x, b0, c10); c11 = Madd(x, b1, c11); c12 = Madd(x, b2, c12); c13 = Madd(x, b3, c13);
                x = Vector512.Create(a[2 * K + k]);
                c20 = Madd(x, b0, c20); c21 = Madd(x, b1, c21); c22 = Madd(x, b2, c22); c23 = Madd(x, b3, c23);
                x = Vector512.Create(a[3 * K + k]);
                c30 = Madd(x, b0, c30); c31 = Madd(x, b1, c31); c32 = Madd(x, b2, c32); c33 = Madd(x, b3, c33);
                x = Vector512.Create(a[4 * K + k]);
                c40 = Madd(x, b0, c40); c41 = Madd(x, b1, c41); c42 = Madd(x, b2, c42); c43 = Madd(x, b3, c43);
                x = Vector512.Create(a[5 * K + k]);
                c50 = Madd(x, b0, c50); c51 = Madd(x, b1, c51); c52 = Madd(x, b2, c52); c53 = Madd(x, b3, c53);
            }
        }
        Vector512<float> sum = ((c00 + c01) + (c02 + c03)) + ((c10 + c11) + (c12 + c13)) + ((c20 + c21) + (c22 + c23))
            + ((c30 + c31) + (c32 + c33)) + ((c40 + c41) + (c42 + c43)) + ((c50 + c51) + (c52 + c53));
        return Vector512.Sum(sum);
    }

    private static float Run256(float* a, float* b)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int r = 0; r < Repeats; r++)
        {
            for (int k = 0; k < K; k++)
            {
                float* pb = b + k * 16;
                Vector256<float> b0 = Vector256.Load(pb), b1 = Vector256.Load(pb + 8);
                Vector256<float> x = Vector256.Create(a[k]);
                c00 = Madd(x, b0, c00); c01 = Madd(x, b1, c01);
                x = Vector256.Create(a[K + k]);
                c10 = Madd(x, b0, c10); c11 = Madd(x, b1, c11);
                x = Vector256.Create(a[2 * K + k]);
                c20 = Madd(x, b0, c20); c21 = Madd(x, b1, c21);
                x = Vector256.Create(a[3 * K + k]);
                c30 = Madd(x, b0, c30); c31 = Madd(x, b1, c31);
                x = Vector256.Create(a[4 * K + k]);
                c40 = Madd(x, b0, c40); c41 = Madd(x, b1, c41);
                x = Vector256.Create(a[5 * K + k]);
                c50 = Madd(x, b0, c50); c51 = Madd(x, b1, c51);
            }
        }
        return Vector256.Sum((c00 + c01) + (c10 + c11) + (c20 + c21) + (c30 + c31) + (c40 + c41) + (c50 + c51));
    }

    private static float Run128(float* a, float* b)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int r = 0; r < Repeats; r++)
        {
            for (int k = 0; k < K; k++)
            {
                float* pb = b + k * 8;
                Vector128<float> b0 = Vector128.Load(pb), b1 = Vector128.Load(pb + 4);
                Vector128<float> x = Vector128.Create(a[k]);
                c00 = Madd(x, b0, c00); c01 = Madd(x, b1, c01);
                x = Vector128.Create(a[K + k]);
                c10 = Madd(x, b0, c10); c11 = Madd(x, b1, c11);
                x = Vector128.Create(a[2 * K + k]);
                c20 = Madd(x, b0, c20); c21 = Madd(x, b1, c21);
                x = Vector128.Create(a[3 * K + k]);
                c30 = Madd(x, b0, c30); c31 = Madd(x, b1, c31);
                x = Vector128.Create(a[4 * K + k]);
                c40 = Madd(x, b0, c40); c41 = Madd(x, b1, c41);
                x = Vector128.Create(a[5 * K + k]);
                c50 = Madd(x, b0, c50); c51 = Madd(x, b1, c51);
            }
        }
        return Vector128.Sum((c00 + c01) + (c10 + c11) + (c20 + c21) + (c30 + c31) + (c40 + c41) + (c50 + c51));
    }

    private static float RunScalar(float* a, float* b)
    {
        // 12 independent scalar accumulators (6 rows × 2 columns), the same shape at width 1.
        float c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0, c40 = 0, c41 = 0, c50 = 0, c51 = 0;
        for (int r = 0; r < Repeats; r++)
        {
            for (int k = 0; k < K; k++)
            {
                float b0 = b[2 * k], b1 = b[2 * k + 1];
                c00 += a[k] * b0; c01 += a[k] * b1;
                c10 += a[K + k] * b0; c11 += a[K + k] * b1;
                c20 += a[2 * K + k] * b0; c21 += a[2 * K + k] * b1;
                c30 += a[3 * K + k] * b0; c31 += a[3 * K + k] * b1;
                c40 += a[4 * K + k] * b0; c41 += a[4 * K + k] * b1;
                c50 += a[5 * K + k] * b0; c51 += a[5 * K + k] * b1;
            }
        }
        return c00 + c01 + c10 + c11 + c20 + c21 + c30 + c31 + c40 + c41 + c50 + c51;
    }
}

/// <summary>What the running process sees: the vector widths the JIT accelerates, the ISAs, the kernels' level.</summary>
internal static class LevelProbe
{
    /// <summary>
    /// The runtime's kernel level (<c>CompiledNets.Kernels.Simd.Level</c>), read by reflection on the field name, so that
    /// a rename of its enum type or members changes nothing here.
    /// </summary>
    public static string KernelLevel() =>
        typeof(Adam).Assembly.GetType("CompiledNets.Kernels.Simd")
            ?.GetField("Level", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?.GetValue(null)?.ToString() ?? "unknown";

    public static string Json(bool child)
    {
        var values = new Dictionary<string, object?>
        {
            ["process"] = child ? "benchmark child" : "console",
            ["pid"] = Environment.ProcessId,
            ["simd_level"] = KernelLevel(),
            ["vector512"] = Vector512.IsHardwareAccelerated,
            ["vector256"] = Vector256.IsHardwareAccelerated,
            ["vector128"] = Vector128.IsHardwareAccelerated,
            ["avx512f"] = Avx512F.IsSupported,
            ["avx2"] = Avx2.IsSupported,
            ["fma"] = Fma.IsSupported,
            ["advsimd"] = AdvSimd.IsSupported,
            ["peak_width"] = Peak.Width,
            ["peak_fma"] = Peak.FusedMultiplyAdd,
            ["peak_flops_per_call"] = Peak.FlopsPerCall,
            ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        };
        foreach (string name in new[] { "DOTNET_EnableAVX512F", "DOTNET_EnableAVX2", "DOTNET_EnableHWIntrinsic" })
            values[name] = Environment.GetEnvironmentVariable(name);
        return JsonSerializer.Serialize(values);
    }
}
