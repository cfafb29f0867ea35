import Foundation

/// SLIC superpixels of one `(height, width, channels)` sample as scikit-image 0.26's
/// `slic(image, n_segments=segments, compactness=compactness, start_label=0, channel_axis=-1)` computes them
/// (`max_num_iter=10`, `sigma=0`, connectivity enforced with `min_size_factor=0.5`, `max_size_factor=3`):
///
/// 1. the values scaled to 0...1 by the sample's minimum and maximum; three channels converted from sRGB to CIE Lab
///    (D65, 2 degrees, as `rgb2lab`);
/// 2. the cluster centres on `regular_grid((1, H, W), segments)` (its step along each axis, the larger one `S`),
///    with colour 0;
/// 3. ten k-means rounds: every pixel within two steps of a centre (of the regular grid for as many points as there
///    are centres) goes to the centre nearest by
///    `|p - c|^2 / S^2 + |v - v_c|^2 / compactness^2` (the first one on ties), then each centre moves to the mean
///    position and colour of its pixels;
/// 4. connected regions relabelled in scan order (4-neighbours), each one smaller than half the mean segment size
///    merged into the last neighbouring region met, a region stopped at three times the mean size.
///
/// Returns the segment index of every pixel, row-major `(height, width)`, from 0.
func slicSegments(
  _ values: [Float], height: Int, width: Int, channels: Int, segments: Int, compactness: Double
) -> [Int] {
  let pixels = height * width
  let low = Double(values.min() ?? 0)
  let high = Double(values.max() ?? 0)
  var image = values.map { high == low ? Double($0) - low : (Double($0) - low) / (high - low) }
  if channels == 3 { image = cieLab(fromSRGB: image) }
  let ratio = 1 / compactness
  for i in image.indices { image[i] *= ratio }

  // The grid of centres: scikit-image's `regular_grid` on (1, height, width).
  let (starts, steps) = regularGrid([1, height, width], points: segments)
  var centres: [[Double]] = []
  for y in stride(from: starts[1], to: height, by: steps[1]) {
    for x in stride(from: starts[2], to: width, by: steps[2]) {
      centres.append([Double(y), Double(x)] + [Double](repeating: 0, count: channels))
    }
  }
  let step = Double(Float(steps.max() ?? 1))
  // The search windows use the grid for as many points as there are centres (scikit-image calls `regular_grid`
  // again with the centre count, whose steps can be larger than the first grid's).
  let window = regularGrid([1, height, width], points: centres.count).steps
  let spatialWeight = 1 / (step * step)
  var labels = [Int](repeating: -1, count: pixels)
  var distance = [Double](repeating: 0, count: pixels)
  for _ in 0..<10 {
    for i in distance.indices { distance[i] = .greatestFiniteMagnitude }
    var changed = false
    for (k, centre) in centres.enumerated() where !centre[0].isNaN {
      let (cy, cx) = (centre[0], centre[1])
      let yRange = Int(max(cy - Double(2 * window[1]), 0))..<Int(min(cy + Double(2 * window[1] + 1), Double(height)))
      let xRange = Int(max(cx - Double(2 * window[2]), 0))..<Int(min(cx + Double(2 * window[2] + 1), Double(width)))
      for y in yRange {
        let dy = (cy - Double(y)) * (cy - Double(y))
        for x in xRange {
          let dx = (cx - Double(x)) * (cx - Double(x))
          var d = (dy + dx) * spatialWeight
          let p = y * width + x
          for c in 0..<channels {
            let t = image[p * channels + c] - centre[2 + c]
            d += t * t
          }
          if distance[p] > d {
            labels[p] = k
            distance[p] = d
            changed = true
          }
        }
      }
    }
    if !changed { break }
    var sums = [[Double]](repeating: [Double](repeating: 0, count: 2 + channels), count: centres.count)
    var counts = [Int](repeating: 0, count: centres.count)
    for y in 0..<height {
      for x in 0..<width {
        let p = y * width + x
        let k = labels[p]
        guard k >= 0 else { continue }
        counts[k] += 1
        sums[k][0] += Double(y)
        sums[k][1] += Double(x)
        for c in 0..<channels { sums[k][2 + c] += image[p * channels + c] }
      }
    }
    // An empty cluster's centre becomes NaN (0 / 0) as in scikit-image, and takes no pixels from then on.
    for k in centres.indices { centres[k] = sums[k].map { $0 / Double(counts[k]) } }
  }
  let segmentSize = Double(pixels) / Double(centres.count)
  return connectedLabels(
    labels, height: height, width: width, minimumSize: Int(0.5 * segmentSize), maximumSize: Int(3 * segmentSize))
}

/// scikit-image's `regular_grid(shape, points)`: the start and step along each axis of a grid of about `points`
/// points, steps as equal as the axes allow (`round` half to even, as NumPy's).
func regularGrid(_ shape: [Int], points: Int) -> (starts: [Int], steps: [Int]) {
  let dimensions = shape.count
  var total = Double(shape.reduce(1, *))
  if total <= Double(points) { return ([Int](repeating: 0, count: dimensions), [Int](repeating: 1, count: dimensions)) }
  // Axes in increasing size (stable for equal sizes).
  let order = shape.indices.sorted { shape[$0] < shape[$1] || (shape[$0] == shape[$1] && $0 < $1) }
  let sorted = order.map { Double(shape[$0]) }
  var sizes = [Double](repeating: pow(total / Double(points), 1 / Double(dimensions)), count: dimensions)
  if zip(sorted, sizes).contains(where: { $0 < $1 }) {
    for dimension in 0..<dimensions {
      sizes[dimension] = sorted[dimension]
      total = sorted[(dimension + 1)...].reduce(1, *)
      let remaining = Double(dimensions - dimension - 1)
      for d in (dimension + 1)..<dimensions { sizes[d] = pow(total / Double(points), 1 / remaining) }
      if !zip(sorted, sizes).contains(where: { $0 < $1 }) { break }
    }
  }
  var starts = [Int](repeating: 0, count: dimensions)
  var steps = [Int](repeating: 1, count: dimensions)
  for (position, axis) in order.enumerated() {
    starts[axis] = Int((sizes[position] / 2).rounded(.down))
    steps[axis] = Int(sizes[position].rounded(.toNearestOrEven))
  }
  return (starts, steps)
}

/// scikit-image's `_enforce_label_connectivity_cython` in two dimensions: regions of equal label grown by
/// breadth-first search (neighbours right, left, down, up) in scan order and numbered from 0; one smaller than
/// `minimumSize` takes the number of the last already-numbered neighbour met (its own when there is none, which the
/// next region then shares); a region stops growing at `maximumSize`.
func connectedLabels(_ labels: [Int], height: Int, width: Int, minimumSize: Int, maximumSize: Int) -> [Int] {
  var connected = [Int](repeating: -1, count: labels.count)
  var next = 0
  var queue = [Int](repeating: 0, count: max(maximumSize, 1))
  let neighbours = [(0, 1), (0, -1), (1, 0), (-1, 0)]
  for start in labels.indices where labels[start] != -1 && connected[start] == -1 {
    var adjacent = next
    let label = labels[start]
    connected[start] = next
    var size = 1
    var visited = 0
    queue[0] = start
    while visited < size && size < maximumSize {
      let (y, x) = (queue[visited] / width, queue[visited] % width)
      for (dy, dx) in neighbours {
        let (yy, xx) = (y + dy, x + dx)
        guard (0..<height).contains(yy), (0..<width).contains(xx) else { continue }
        let q = yy * width + xx
        if labels[q] == label && connected[q] == -1 {
          connected[q] = next
          queue[size] = q
          size += 1
          if size >= maximumSize { break }
        } else if connected[q] > -1 && connected[q] != next {
          adjacent = connected[q]
        }
      }
      visited += 1
    }
    if size < minimumSize {
      for i in 0..<size { connected[queue[i]] = adjacent }
    } else {
      next += 1
    }
  }
  return connected
}

/// sRGB values in 0...1, `(..., 3)` row-major, to CIE Lab under D65 (2 degrees), as scikit-image's `rgb2lab`.
func cieLab(fromSRGB rgb: [Double]) -> [Double] {
  let matrix: [[Double]] = [
    [0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227],
  ]
  let white = [0.95047, 1.0, 1.08883]
  var lab = [Double](repeating: 0, count: rgb.count)
  for p in stride(from: 0, to: rgb.count - 2, by: 3) {
    let linear = (0..<3).map { c -> Double in
      let v = rgb[p + c]
      return v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92
    }
    let f = (0..<3).map { row -> Double in
      let t = (matrix[row][0] * linear[0] + matrix[row][1] * linear[1] + matrix[row][2] * linear[2]) / white[row]
      return t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0
    }
    lab[p] = 116 * f[1] - 16
    lab[p + 1] = 500 * (f[0] - f[1])
    lab[p + 2] = 200 * (f[1] - f[2])
  }
  return lab
}
