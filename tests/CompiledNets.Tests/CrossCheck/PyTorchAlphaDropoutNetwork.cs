// The network of make_pytorch_alpha_dropout_fixture.py, declared for the generator. Keep the two in step.
namespace CompiledNets.Tests.CrossCheck;

[Network(6)]
[Dense(8, Activation.SELU)]
[AlphaDropout(0.2)]      // mask [batch, 8]
[Dense(5, Activation.SELU)]
[AlphaDropout(0.1)]      // mask [batch, 5]
[Dense(3)]
public partial class AlphaDropoutCrossCheckNet;
