using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace CompiledNets.Generator.Emitting;

/// <summary>Writes user names back as valid identifiers: "class" becomes "@class".</summary>
internal static class Identifiers
{
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    public static string EscapeDotted(string dotted) => string.Join(".", dotted.Split('.').Select(Escape));
}
