using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>
/// Walks everything reachable from an object through its fields (auto-properties included, through their
/// backing fields) and array elements, and flags the Roslyn objects a cached pipeline model must never hold.
/// </summary>
internal static class ObjectGraph
{
    /// <summary>Types that tie a model to one compilation, so holding one defeats caching (and leaks memory).</summary>
    public static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SyntaxToken), typeof(SyntaxReference),
        typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(AttributeData), typeof(Diagnostic),
    };

    /// <summary>Every object reachable from <paramref name="root"/>, with the path it was reached by.</summary>
    public static List<(string Path, object Value)> Walk(object root)
    {
        var found = new List<(string, object)>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Visit(root, root.GetType().Name, found, visited);
        return found;
    }

    /// <summary>Paths to forbidden objects, and to fields whose declared type could hold one.</summary>
    public static List<string> ForbiddenPaths(object root)
    {
        var problems = new List<string>();
        foreach ((string path, object value) in Walk(root))
        {
            if (IsForbidden(value.GetType()))
                problems.Add($"{path} is a {value.GetType().FullName}");
            foreach (FieldInfo field in InstanceFields(value.GetType()).Where(f => IsForbidden(f.FieldType) || f.FieldType == typeof(object)))
                problems.Add($"{path}.{field.Name} is declared as {field.FieldType.FullName}");
        }
        return problems;
    }

    private static bool IsForbidden(Type type) => Forbidden.Any(f => f.IsAssignableFrom(type));

    private static void Visit(object? value, string path, List<(string, object)> found, HashSet<object> visited)
    {
        if (value is null) return;
        Type type = value.GetType();
        if (!type.IsValueType && !visited.Add(value)) return;
        found.Add((path, value));
        if (type.IsPrimitive || type.IsEnum || value is string || value is decimal || IsForbidden(type)) return;

        if (value is Array array)
        {
            int i = 0;
            foreach (object? item in (IEnumerable)array)
                Visit(item, $"{path}[{i++}]", found, visited);
            return;
        }
        foreach (FieldInfo field in InstanceFields(type))
            Visit(field.GetValue(value), $"{path}.{field.Name}", found, visited);
    }

    private static IEnumerable<FieldInfo> InstanceFields(Type type)
    {
        for (Type? t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                yield return field;
        }
    }
}
