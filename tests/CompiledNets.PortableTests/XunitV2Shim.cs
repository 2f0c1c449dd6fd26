// The linked test sources are written for xunit v2, whose ITestOutputHelper lives in Xunit.Abstractions; in xunit.v3
// it is Xunit.ITestOutputHelper (reached through the global `using Xunit;`). Declaring the old namespace lets their
// `using Xunit.Abstractions;` compile unchanged. It must stay empty, or names could become ambiguous.
namespace Xunit.Abstractions
{
}
