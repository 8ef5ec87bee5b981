import tensorflow as tf

w = tf.Variable([1.0, -2.0, 3.0])
with tf.GradientTape() as tape:
    losses = (w * 2) ** 2   # a vector of three losses, not a scalar
# TensorFlow sums a non-scalar target without a word; PyTorch refuses (see "Non-scalar backward")
grad = tape.gradient(losses, w)
print(grad)
