import KerasVis
import Testing

@Suite("MetricInputs.metricMaps: the maps metrics take")
struct MetricMapsTests {
  @Test("(N, H, W) maps stay as they are; (N, H, W, C) become per-sample max |v| over channels, scaled to 0...1")
  func magnitudes() throws {
    let plain = try Tensor(shape: [1, 1, 2], values: [0.25, -3])
    #expect(try MetricInputs.metricMaps(plain) == plain)
    // Sample 0: max |v| per pixel 2, 4, 1, 0 (largest 4); sample 1 is all zero and stays zero.
    let channels = try Tensor(
      shape: [2, 2, 2, 2], values: [1, -2, 4, 3, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    let maps = try MetricInputs.metricMaps(channels)
    #expect(maps.shape == [2, 2, 2])
    #expect(maps.scalars == [0.5, 1, 0.25, 0, 0, 0, 0, 0])
    #expect(throws: KerasVisError.self) { try MetricInputs.metricMaps(try Tensor(shape: [4], values: [1, 2, 3, 4])) }
  }
}
