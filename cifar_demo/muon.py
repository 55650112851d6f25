"""Muon on the convolution filters, SGD with Nesterov momentum on every other weight (airbench94_muon's split).

Keras 3's own keras.optimizers.Muon orthogonalises 2-D weights only and hands a
convolution's 4-D kernel to AdamW; airbench94_muon's gain comes from the filters.
So here each kernel (height, width, in, out) is seen as a (height*width*in, out)
matrix: its Nesterov momentum is orthogonalised by five Newton-Schulz steps
(every direction of the update the same size) and scaled as Muon does. The
rest (batch-norm scales and biases, the dense head) take the SGD step.

This file imports nothing of cifar_demo: "Show me the code" copies it into a
standalone script as it is.
"""
import keras
from keras import ops


def newton_schulz(g, steps=5):
    """An approximately orthogonal matrix with the row and column spaces of ``g`` (2-D): Muon's iteration."""
    a, b, c = 3.4445, -4.7750, 2.0315
    x = g / (ops.sqrt(ops.sum(ops.square(g))) + 1e-7)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = ops.transpose(x)
    for _ in range(steps):
        gram = ops.matmul(x, ops.transpose(x))
        x = a * x + ops.matmul(b * gram + c * ops.matmul(gram, gram), x)
    return ops.transpose(x) if tall else x


@keras.saving.register_keras_serializable(package="muon")
class MuonSGD(keras.optimizers.SGD):
    """Nesterov SGD at the learning rate, and Muon on 4-D kernels at ``muon_ratio`` times it."""

    def __init__(self, muon_ratio=0.3, **kwargs):
        super().__init__(**{"momentum": 0.9, "nesterov": True, **kwargs})
        self.muon_ratio = muon_ratio

    def update_step(self, gradient, variable, learning_rate):
        if len(variable.shape) != 4:
            return super().update_step(gradient, variable, learning_rate)
        momentum = self.momentums[self._get_variable_index(variable)]
        gradient = ops.cast(gradient, variable.dtype)
        self.assign(momentum, ops.add(ops.multiply(momentum, self.momentum), gradient))
        step = ops.add(gradient, ops.multiply(momentum, self.momentum))  # Nesterov: a step ahead
        kh, kw, channels_in, channels_out = variable.shape
        rows = kh * kw * channels_in
        ortho = newton_schulz(ops.reshape(step, (rows, channels_out)))
        size = ops.cast(learning_rate, variable.dtype) * self.muon_ratio * max(1.0, rows / channels_out) ** 0.5
        self.assign_sub(variable, ops.reshape(ortho, variable.shape) * size)

    def get_config(self):
        return {**super().get_config(), "muon_ratio": self.muon_ratio}
