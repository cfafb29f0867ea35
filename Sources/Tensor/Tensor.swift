/// Placeholder until the Tensor module lands.
public enum TensorModule {}
