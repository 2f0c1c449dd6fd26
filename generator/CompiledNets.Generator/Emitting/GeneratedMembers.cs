using System.Collections.Generic;
using System.Linq;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CompiledNets.Generator.Emitting;

/// <summary>
/// The names of the members the emitter writes into a network, read back from the emitted source itself, so that the
/// reserved-name check (CNN0017) can never drift from what is emitted. A class cannot have a member with its own name
/// (CS0542): a network named like one is reported instead of emitted.
/// </summary>
internal static class GeneratedMembers
{
    public static HashSet<string> Of(NetworkModel model)
    {
        var names = new HashSet<string>();
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(NetworkEmitter.Emit(model, model.WeightsFile is null ? null : System.Array.Empty<byte>())).GetRoot();
        foreach (TypeDeclarationSyntax type in root.DescendantNodes().OfType<TypeDeclarationSyntax>())
        {
            foreach (MemberDeclarationSyntax member in type.Members)
            {
                switch (member)
                {
                    case FieldDeclarationSyntax field:
                        foreach (VariableDeclaratorSyntax variable in field.Declaration.Variables)
                            names.Add(variable.Identifier.ValueText);
                        break;
                    case PropertyDeclarationSyntax property when property.ExplicitInterfaceSpecifier is null:
                        names.Add(property.Identifier.ValueText);
                        break;
                    case MethodDeclarationSyntax method when method.ExplicitInterfaceSpecifier is null:
                        names.Add(method.Identifier.ValueText);
                        break;
                }
            }
        }
        return names;
    }
}
