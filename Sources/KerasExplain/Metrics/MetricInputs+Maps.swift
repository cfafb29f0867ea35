import KerasRuntime

extension MetricInputs {
  /// Explanation maps as the metrics take them, `(N, H, W)`: maps of that shape as they are, and `(N, H, W, C)`
  /// gradient-valued maps (Guided Grad-CAM) as per-sample magnitudes in 0...1, `m[n, y, x] = max_c |v[n, y, x, c]|`
  /// divided by the sample's largest such value (an all-zero sample stays zero).
  /// - Throws: `KerasVisError.invalidArgument` for maps of any other rank.
  public static func metricMaps(_ maps: Tensor) throws -> Tensor {
    if maps.rank == 3 { return maps }
    guard maps.rank == 4 else {
      throw KerasVisError.invalidArgument("metrics need maps (N, H, W) or (N, H, W, C): got \(maps.shape)")
    }
    let (count, height, width, channels) = (maps.shape[0], maps.shape[1], maps.shape[2], maps.shape[3])
    let values = maps.scalars
    var result: [Float] = []
    result.reserveCapacity(count * height * width)
    for n in 0..<count {
      var magnitudes = [Float](repeating: 0, count: height * width)
      for p in 0..<(height * width) {
        let start = (n * height * width + p) * channels
        for c in 0..<channels { magnitudes[p] = max(magnitudes[p], abs(values[start + c])) }
      }
      let high = magnitudes.max() ?? 0
      result += magnitudes.map { high > 0 ? $0 / high : 0 }
    }
    return try Tensor(shape: [count, height, width], values: result)
  }
}
