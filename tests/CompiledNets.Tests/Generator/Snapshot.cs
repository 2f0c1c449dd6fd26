using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Snapshot testing in the spirit of Verify: <c>name.verified.cs</c> beside the calling test file holds the
/// accepted text; a mismatch (or a missing snapshot) writes <c>name.received.cs</c> there and fails.
/// </summary>
internal static class Snapshot
{
    private static readonly UTF8Encoding s_utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void Match(string actual, string name, [CallerFilePath] string testFile = "")
    {
        string directory = Path.GetDirectoryName(testFile) ?? "";
        if (!Directory.Exists(directory))
            throw new XunitException($"Snapshot directory '{directory}' (from the test's [CallerFilePath]) does not exist; run the tests from a source checkout.");

        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");
        actual = Normalize(actual);

        if (File.Exists(verified) && Normalize(File.ReadAllText(verified)) == actual)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual, s_utf8NoBom);
        string reason = File.Exists(verified)
            ? $"does not match {Path.GetFileName(verified)}{FirstDifference(Normalize(File.ReadAllText(verified)), actual)}"
            : $"has no {Path.GetFileName(verified)} yet";
        throw new XunitException(
            $"Snapshot '{name}' {reason}.\n" +
            $"Wrote the new text to {received}.\n" +
            $"If it is right, accept it by renaming {Path.GetFileName(received)} to {Path.GetFileName(verified)} (mv \"{received}\" \"{verified}\").");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    private static string FirstDifference(string expected, string actual)
    {
        string[] expectedLines = expected.Split('\n');
        string[] actualLines = actual.Split('\n');
        for (int i = 0; i < System.Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            string e = i < expectedLines.Length ? expectedLines[i] : "<end of file>";
            string a = i < actualLines.Length ? actualLines[i] : "<end of file>";
            if (e != a)
                return $" (first difference at line {i + 1}:\n  verified: {e}\n  received: {a})";
        }
        return "";
    }
}
