using System.IO;

namespace CompiledNets.Tests.Serialization;

/// <summary>Drives the runtime's atomic writer into a failure after half the bytes are written.</summary>
internal static class AtomicFileProbe
{
    public static void WriteThenFail(string path) =>
        CompiledNets.Serialization.AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]);
            throw new IOException("simulated disk failure part-way through the write");
        });
}
