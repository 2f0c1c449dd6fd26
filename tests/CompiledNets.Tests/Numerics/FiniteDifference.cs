using System;
using System.Collections.Generic;
using System.Globalization;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Numerics;

/// <summary>
/// Central-difference gradient check of every parameter of a network: for each θᵢ, evaluates the loss at θᵢ ± h
/// and compares <c>(L(θ+h) − L(θ−h)) / (θ⁺ − θ⁻)</c> with the analytic gradient, where θ⁺ and θ⁻ are the
/// float values actually stored (so the rounding of θᵢ ± h to float does not count as error).
/// </summary>
internal static class FiniteDifference
{
    /// <summary>
    /// Asserts <c>|numeric − analytic| ≤ absoluteTolerance + relativeTolerance · max(|numeric|, |analytic|)</c> for every
    /// parameter. <paramref name="loss"/> must be a pure function of the parameters (masks fixed by the caller).
    /// </summary>
    public static void AssertMatches(ICompiledNetwork network, Func<float> loss, float[] analytic, float h,
        double absoluteTolerance, double relativeTolerance, ITestOutputHelper output)
    {
        Assert.Equal(network.ParameterCount, analytic.Length);
        var failures = new List<string>();
        double worstRatio = 0; // largest |error| / allowed error seen, for the log
        double largestGradient = 0;
        for (int i = 0; i < network.ParameterCount; i++)
        {
            float original = network.Parameters[i];
            float plus = original + h, minus = original - h;

            network.Parameters[i] = plus;
            double lossPlus = loss();
            network.Parameters[i] = minus;
            double lossMinus = loss();
            network.Parameters[i] = original;

            double numeric = (lossPlus - lossMinus) / ((double)plus - minus);
            double error = Math.Abs(numeric - analytic[i]);
            double allowed = absoluteTolerance + relativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
            worstRatio = Math.Max(worstRatio, error / allowed);
            largestGradient = Math.Max(largestGradient, Math.Abs(analytic[i]));
            if (error > allowed)
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"parameter {i}: analytic {analytic[i]:G9}, numeric {numeric:G9}, error {error:G3} > {allowed:G3}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{network.ParameterCount} parameters, h = {h}, worst error / allowed = {worstRatio:G3}, largest |gradient| = {largestGradient:G3}"));
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {network.ParameterCount} gradients disagree:\n" + string.Join("\n", failures.GetRange(0, Math.Min(10, failures.Count))));
        // A check that passes because every gradient is ~0 checks nothing.
        Assert.True(largestGradient > 20 * absoluteTolerance, $"The largest gradient, {largestGradient}, is too small for the check to mean anything.");
    }
}
