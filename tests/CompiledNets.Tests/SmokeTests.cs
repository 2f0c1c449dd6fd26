namespace CompiledNets.Tests;

public class SmokeTests
{
    [Fact]
    public void Runtime_assembly_loads() => Assert.Equal(0, (int)Activation.None);
}
