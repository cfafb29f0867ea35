/// `scipy.ndimage.zoom(input, (fd, fh, fw), order=order, mode=mode)` of a row-major 3-D Float32 array
/// (prefiltered; scipy's default `constant` mode unless told), as keras-vis, tf-keras-vis and pytorch-grad-cam resize
/// the maps of 3-D feature maps (and tf-keras-vis's Score-CAM its masks, `order=1, mode='nearest'`).
///
/// The tensor-product B-spline zoom is separable (the prefilter and the interpolation along one axis commute with
/// those along the others, and every output point of a zoom lies inside the input), so this is `splineZoom` of
/// each `(height, width)` slice, then of each depth column: equal to scipy's 3-D zoom up to the float32 rounding
/// of the intermediate volume (scipy keeps it in float64).
/// - Shapes: `input` holds `depth * height * width` values; the result is `round(size * factor)` per axis.
/// - Throws: `SplineZoomError` as `splineZoom` does.
public func splineZoom(
  volume input: [Float], depth: Int, height: Int, width: Int, factors: (Double, Double, Double), order: Int = 3,
  mode: SplineBoundaryMode = .constant
) throws(SplineZoomError) -> (values: [Float], depth: Int, height: Int, width: Int) {
  guard depth > 0 else { throw .emptyInput(height: depth, width: height * width) }
  guard input.count == depth * height * width else {
    throw .countMismatch(count: input.count, height: depth * height, width: width)
  }
  let slice = height * width
  var planes: [Float] = []
  var (outHeight, outWidth) = (0, 0)
  for d in 0..<depth {
    let zoomed = try splineZoom(
      Array(input[(d * slice)..<((d + 1) * slice)]), height: height, width: width, factors: (factors.1, factors.2),
      order: order, mode: mode)
    (outHeight, outWidth) = (zoomed.height, zoomed.width)
    planes += zoomed.values
  }
  let outSlice = outHeight * outWidth
  let outDepth = try splineZoomShape(height: depth, width: 1, factors: (factors.0, 1)).height
  var result = [Float](repeating: 0, count: outDepth * outSlice)
  for position in 0..<outSlice {
    let column = (0..<depth).map { planes[$0 * outSlice + position] }
    let zoomed = try splineZoom(column, height: depth, width: 1, factors: (factors.0, 1), order: order, mode: mode)
      .values
    for d in 0..<outDepth { result[d * outSlice + position] = zoomed[d] }
  }
  return (result, outDepth, outHeight, outWidth)
}
