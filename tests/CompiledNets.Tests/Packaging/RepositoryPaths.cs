using System;
using System.IO;

namespace CompiledNets.Tests.Packaging;

/// <summary>Where the repository and this test build live, for tests that run the SDK on the repository's projects.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test assembly was built in, so child builds reuse its outputs.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CompiledNets.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("CompiledNets.sln not found above " + AppContext.BaseDirectory);
    }
}
