/// Placeholder until image decoding lands.
public enum ImageIOModule {}
