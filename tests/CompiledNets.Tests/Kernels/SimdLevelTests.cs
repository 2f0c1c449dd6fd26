using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CompiledNets.Kernels;
using Xunit.Abstractions;

namespace CompiledNets.Tests.FastKernels;

/// <summary>
/// <see cref="Simd.Level"/> is the level the process's environment implies. CI runs the kernel, numerics, optimizer
/// and property tests again with the runtime's instruction-set knobs turned off (<c>DOTNET_EnableAVX512=0</c>,
/// <c>DOTNET_EnableAVX2=0</c>, <c>DOTNET_EnableHWIntrinsic=0</c>) and on ARM64 under emulation; these tests make
/// each of those runs fail if it did not actually exercise the level it is meant to, instead of silently testing
/// the machine's best level again.
/// </summary>
/// <remarks>
/// .NET 10 merged the AVX-512 subsets into one instruction set: its knob is <c>DOTNET_EnableAVX512</c>, and the old
/// <c>DOTNET_EnableAVX512F=0</c> is ignored (AVX-512 stays on). Both are read here, so a run that sets only the old
/// name fails and says so rather than passing at the wrong level.
/// </remarks>
public class SimdLevelTests(ITestOutputHelper output)
{
    private static readonly bool s_x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private static readonly bool s_arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    [Fact]
    public void The_level_is_one_whose_vectors_this_process_accelerates()
    {
        SimdLevel level = Simd.Level;
        output.WriteLine(Describe());
        Assert.Contains(level, new[] { SimdLevel.Scalar, SimdLevel.Vector128, SimdLevel.Vector256, SimdLevel.Vector512 });
        if (level == SimdLevel.Vector512) Assert.True(Vector512.IsHardwareAccelerated, "Vector512 level without accelerated Vector512. " + Describe());
        if (level == SimdLevel.Vector256) Assert.True(Vector256.IsHardwareAccelerated, "Vector256 level without accelerated Vector256. " + Describe());
        if (level == SimdLevel.Vector128) Assert.True(Vector128.IsHardwareAccelerated, "Vector128 level without accelerated Vector128. " + Describe());
    }

    [Fact]
    public void Vector_hardware_is_used_when_the_process_has_it()
    {
        if (Vector128.IsHardwareAccelerated)
            Assert.True(Simd.Level != SimdLevel.Scalar, "Vector128 is accelerated, yet the kernels run scalar loops. " + Describe());
        if (s_x64 && Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            Assert.True((int)Simd.Level >= (int)SimdLevel.Vector256, "AVX2 and FMA are on, yet the kernels run narrower. " + Describe());
    }

    [Fact]
    public void With_hardware_intrinsics_off_the_level_is_scalar()
    {
        if (Knob("EnableHWIntrinsic") == 0)
            Assert.True(Simd.Level == SimdLevel.Scalar, "DOTNET_EnableHWIntrinsic=0 but not Scalar. " + Describe());
    }

    [Fact]
    public void With_AVX2_off_on_x64_the_level_is_Vector128()
    {
        if (s_x64 && Knob("EnableAVX2") == 0 && Knob("EnableHWIntrinsic") != 0)
            Assert.True(Simd.Level == SimdLevel.Vector128, "DOTNET_EnableAVX2=0 on x64 but not Vector128. " + Describe());
    }

    [Fact]
    public void With_AVX512_off_the_level_is_not_Vector512()
    {
        if (Knob("EnableAVX512") == 0 || Knob("EnableAVX512F") == 0)
        {
            string hint = Knob("EnableAVX512") != 0 && Vector512.IsHardwareAccelerated
                ? " The runtime ignored DOTNET_EnableAVX512F=0: since .NET 10 the knob is DOTNET_EnableAVX512=0."
                : "";
            Assert.True(Simd.Level != SimdLevel.Vector512, "AVX-512 is switched off but the level is Vector512." + hint + " " + Describe());
        }
    }

    [Fact]
    public void On_Arm64_the_level_is_Vector128()
    {
        if (s_arm64 && Knob("EnableHWIntrinsic") != 0)
            Assert.True(Simd.Level == SimdLevel.Vector128, "Arm64 (AdvSimd) but not Vector128. " + Describe());
    }

    /// <summary>
    /// A runtime knob as the runtime reads it: <c>DOTNET_name</c>, else <c>COMPlus_name</c>, a hexadecimal number;
    /// null when unset or unreadable.
    /// </summary>
    private static uint? Knob(string name)
    {
        string? text = Environment.GetEnvironmentVariable("DOTNET_" + name) ?? Environment.GetEnvironmentVariable("COMPlus_" + name);
        if (text is null) return null;
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        return uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value) ? value : null;
    }

    private static string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"Level={Simd.Level} ({(int)Simd.Level}), {RuntimeInformation.ProcessArchitecture}, accelerated: " +
            $"Vector128={Vector128.IsHardwareAccelerated} Vector256={Vector256.IsHardwareAccelerated} Vector512={Vector512.IsHardwareAccelerated}; " +
            $"knobs: EnableHWIntrinsic={Show("EnableHWIntrinsic")} EnableAVX2={Show("EnableAVX2")} " +
            $"EnableAVX512={Show("EnableAVX512")} EnableAVX512F={Show("EnableAVX512F")}");

    private static string Show(string name) => Knob(name)?.ToString(CultureInfo.InvariantCulture) ?? "unset";
}
