/// Placeholder until the keras-vis API lands.
public enum KerasVisModule {}
