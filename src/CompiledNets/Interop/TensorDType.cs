using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace CompiledNets.Interop;

/// <summary>An element type a state dict can hold: PyTorch's storage classes and safetensors' dtype names.</summary>
internal enum TensorDType
{
    Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool, Complex64, Complex128,
}

/// <summary>Names, sizes and the conversion to float of each <see cref="TensorDType"/>.</summary>
internal static class TensorDTypes
{
    /// <summary>PyTorch's name (<c>torch.float32</c> without the prefix), for messages.</summary>
    public static string TorchName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "float32", TensorDType.Float64 => "float64", TensorDType.Float16 => "float16",
        TensorDType.BFloat16 => "bfloat16", TensorDType.Int64 => "int64", TensorDType.Int32 => "int32",
        TensorDType.Int16 => "int16", TensorDType.Int8 => "int8", TensorDType.UInt8 => "uint8", TensorDType.Bool => "bool",
        TensorDType.Complex64 => "complex64", _ => "complex128",
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 or TensorDType.Int64 or TensorDType.Complex64 => 8,
        TensorDType.Complex128 => 16,
        TensorDType.Float32 or TensorDType.Int32 => 4,
        TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Int16 => 2,
        _ => 1,
    };

    /// <summary>Whether values of this type become parameters: floats are converted to float32 (rounded to nearest).</summary>
    public static bool IsLoadable(this TensorDType dtype) =>
        dtype is TensorDType.Float32 or TensorDType.Float64 or TensorDType.Float16 or TensorDType.BFloat16;

    /// <summary>The storage class named by <c>torch.{name}</c> in a pickle's persistent id, if it is one.</summary>
    public static bool TryFromStorageClass(string name, out TensorDType dtype)
    {
        (bool found, dtype) = name switch
        {
            "FloatStorage" => (true, TensorDType.Float32), "DoubleStorage" => (true, TensorDType.Float64),
            "HalfStorage" => (true, TensorDType.Float16), "BFloat16Storage" => (true, TensorDType.BFloat16),
            "LongStorage" => (true, TensorDType.Int64), "IntStorage" => (true, TensorDType.Int32),
            "ShortStorage" => (true, TensorDType.Int16), "CharStorage" => (true, TensorDType.Int8),
            "ByteStorage" => (true, TensorDType.UInt8), "BoolStorage" => (true, TensorDType.Bool),
            "ComplexFloatStorage" => (true, TensorDType.Complex64), "ComplexDoubleStorage" => (true, TensorDType.Complex128),
            _ => (false, default),
        };
        return found;
    }

    /// <summary>The type safetensors names <paramref name="name"/> (<c>F32</c>, <c>BF16</c>, ...), if this enum has it.</summary>
    public static bool TryFromSafeTensors(string name, out TensorDType dtype)
    {
        (bool found, dtype) = name switch
        {
            "F32" => (true, TensorDType.Float32), "F64" => (true, TensorDType.Float64), "F16" => (true, TensorDType.Float16),
            "BF16" => (true, TensorDType.BFloat16), "I64" => (true, TensorDType.Int64), "I32" => (true, TensorDType.Int32),
            "I16" => (true, TensorDType.Int16), "I8" => (true, TensorDType.Int8), "U8" => (true, TensorDType.UInt8),
            "BOOL" => (true, TensorDType.Bool), "C64" => (true, TensorDType.Complex64),
            _ => (false, default),
        };
        return found;
    }

    /// <summary>
    /// Converts whole elements of a loadable type from <paramref name="bytes"/> (its length a multiple of the element
    /// size) into <paramref name="values"/>, reading them in the file's byte order.
    /// </summary>
    public static void Decode(TensorDType dtype, bool bigEndian, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        int size = dtype.Size();
        if (dtype == TensorDType.Float32 && bigEndian != BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values); // the host's byte order already
            return;
        }
        for (int i = 0; i < values.Length; i++)
        {
            ReadOnlySpan<byte> element = bytes.Slice(i * size, size);
            values[i] = dtype switch
            {
                TensorDType.Float32 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(element) : BinaryPrimitives.ReadSingleLittleEndian(element),
                TensorDType.Float64 => (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(element) : BinaryPrimitives.ReadDoubleLittleEndian(element)),
                TensorDType.Float16 => (float)(bigEndian ? BinaryPrimitives.ReadHalfBigEndian(element) : BinaryPrimitives.ReadHalfLittleEndian(element)),
                TensorDType.BFloat16 => BitConverter.Int32BitsToSingle(
                    (bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(element) : BinaryPrimitives.ReadUInt16LittleEndian(element)) << 16),
                _ => throw new InvalidOperationException($"{dtype} is not loadable"),
            };
        }
    }
}
