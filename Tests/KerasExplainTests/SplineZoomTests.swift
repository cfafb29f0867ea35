import Foundation
import KerasVis
import TestSupport
import Testing

/// One entry of `Tests/Fixtures/zoom/manifest.json` (written by `tools/make_zoom_fixtures.py` with scipy 1.17.1's
/// `scipy.ndimage.zoom`): an input, the parameters, and scipy's outputs for every listed order and mode,
/// stored as float32 with shape (orders, modes, outHeight, outWidth). Factors and cval are `float.hex()` strings.
struct ZoomFixture: Codable, Sendable, CustomTestStringConvertible {
  var name: String
  var input: String
  var expected: String
  var factors: [String]
  var target: [Int]?
  var orders: [Int]
  var modes: [String]
  var cval: String
  var prefilter: Bool
  var gridMode: Bool
  var outShape: [Int]

  var testDescription: String { name }
}

private struct ZoomManifest: Codable {
  var scipy: String
  var cases: [ZoomFixture]
}

private func zoomManifest() throws -> [ZoomFixture] {
  let data = try Data(contentsOf: FixtureFolder.zoom.url("manifest.json"))
  return try JSONDecoder().decode(ZoomManifest.self, from: data).cases
}

/// Parses Python's `float.hex()` output exactly.
private func hexDouble(_ text: String) throws -> Double {
  try #require(Double(text), "not a hex float: \(text)")
}

// Tolerances: the port performs scipy's Float64 operations in scipy's order, so outputs are expected bit-identical
// on the platform the fixtures were written on; the only libm call (pow, in the prefilter's boundary sums) may
// differ by an ulp elsewhere, which can move a Float32 result by one ulp (~1.2e-7 relative). rtol 1e-5 leaves two
// orders of magnitude for that while still catching any real mistake (a wrong boundary rule or weight shows up at
// 1e-3 and above); atol 1e-6 covers values near zero, where spline ringing around a ReLU'd map's zeros makes
// relative error meaningless for results of magnitude ~1.
private let relativeTolerance = 1e-5
private let absoluteTolerance = 1e-6

@Suite("SplineZoom against scipy.ndimage.zoom")
struct SplineZoomFixtureTests {
  @Test("every fixture case, order and mode", arguments: try zoomManifest())
  func matchesScipy(_ fixture: ZoomFixture) throws {
    let input = try fixtureArray(fixture.input, in: .zoom)
    let expected = try fixtureArray(fixture.expected, in: .zoom)
    try #require(input.shape.count == 2)
    try #require(expected.shape == [fixture.orders.count, fixture.modes.count] + fixture.outShape)
    let factors = (try hexDouble(fixture.factors[0]), try hexDouble(fixture.factors[1]))
    let cval = try hexDouble(fixture.cval)
    let (height, width) = (input.shape[0], input.shape[1])
    let planeSize = fixture.outShape[0] * fixture.outShape[1]
    for (orderIndex, order) in fixture.orders.enumerated() {
      for (modeIndex, modeName) in fixture.modes.enumerated() {
        let mode = try #require(SplineBoundaryMode(rawValue: modeName))
        let values: [Float]
        if let target = fixture.target {
          values = try splineZoom(
            input.scalars, height: height, width: width, targetHeight: target[0], targetWidth: target[1],
            order: order, mode: mode, cval: cval, prefilter: fixture.prefilter, gridMode: fixture.gridMode)
        } else {
          let result = try splineZoom(
            input.scalars, height: height, width: width, factors: factors, order: order, mode: mode, cval: cval,
            prefilter: fixture.prefilter, gridMode: fixture.gridMode)
          #expect([result.height, result.width] == fixture.outShape, "order \(order), mode \(modeName): shape")
          values = result.values
        }
        let start = (orderIndex * fixture.modes.count + modeIndex) * planeSize
        // NaN matches NaN (this comparison has always allowed it).
        expectAllClose(
          values, expected.scalars[start..<start + planeSize], rtol: relativeTolerance, atol: absoluteTolerance,
          equalNaN: true, "order \(order), mode \(modeName) (kerasvis vs scipy)")
      }
    }
  }

  @Test("the fixtures cover every order and mode scipy supports")
  func coverage() throws {
    let cases = try zoomManifest()
    var covered = Set<String>()
    for fixture in cases {
      for order in fixture.orders {
        for mode in fixture.modes {
          covered.insert("\(order) \(mode)")
        }
      }
    }
    for order in 0...5 {
      for mode in SplineBoundaryMode.allCases where mode != .gridMirror {
        #expect(covered.contains("\(order) \(mode.rawValue)"), "order \(order), mode \(mode.rawValue)")
      }
    }
    #expect(cases.contains { $0.gridMode } && cases.contains { !$0.prefilter } && cases.contains { $0.target != nil })
  }

  @Test("'grid-mirror' is scipy's alias of 'reflect'")
  func gridMirrorAlias() throws {
    let input = try fixtureArray("random_9x11.npy", in: .zoom)
    for order in 0...5 {
      let reflect = try splineZoom(
        input.scalars, height: 9, width: 11, factors: (2.37, 1.91), order: order, mode: .reflect)
      let gridMirror = try splineZoom(
        input.scalars, height: 9, width: 11, factors: (2.37, 1.91), order: order, mode: .gridMirror)
      #expect(reflect.values == gridMirror.values)
    }
  }
}

@Suite("SplineZoom shapes and errors")
struct SplineZoomArgumentTests {
  @Test("output shape is round-half-to-even of size * factor")
  func shape() throws {
    #expect(try splineZoomShape(height: 5, width: 3, factors: (0.5, 0.5)) == (2, 2))
    #expect(try splineZoomShape(height: 7, width: 3, factors: (0.5, 1.5)) == (4, 4))
    #expect(try splineZoomShape(height: 8, width: 8, factors: (299 / 8.0, 299 / 8.0)) == (299, 299))
    #expect(try splineZoomShape(height: 2, width: 2, factors: (-0.1, 0.1)) == (0, 0))
  }

  @Test("an output size of zero gives an empty result, as scipy's empty array")
  func emptyOutput() throws {
    let result = try splineZoom([1, 2, 3, 4], height: 2, width: 2, factors: (0.2, 3))
    #expect(result.values.isEmpty && result.height == 0 && result.width == 6)
  }

  @Test("bad arguments throw typed errors")
  func errors() {
    let input: [Float] = [1, 2, 3, 4]
    #expect(throws: SplineZoomError.unsupportedOrder(6)) {
      try splineZoom(input, height: 2, width: 2, factors: (2, 2), order: 6)
    }
    #expect(throws: SplineZoomError.unsupportedOrder(-1)) {
      try splineZoom(input, height: 2, width: 2, factors: (2, 2), order: -1)
    }
    #expect(throws: SplineZoomError.emptyInput(height: 0, width: 4)) {
      try splineZoom([], height: 0, width: 4, factors: (2, 2))
    }
    #expect(throws: SplineZoomError.emptyInput(height: 0, width: 3)) {
      try splineZoom([], height: 0, width: 3, targetHeight: 4, targetWidth: 4)
    }
    #expect(throws: SplineZoomError.countMismatch(count: 4, height: 3, width: 2)) {
      try splineZoom(input, height: 3, width: 2, factors: (2, 2))
    }
    #expect(throws: SplineZoomError.self) {
      try splineZoom(input, height: 2, width: 2, factors: (.nan, 2))
    }
    #expect(throws: SplineZoomError.invalidFactor(.infinity)) {
      try splineZoom(input, height: 2, width: 2, factors: (2, .infinity))
    }
    #expect(throws: SplineZoomError.invalidFactor(-1)) {
      try splineZoom(input, height: 2, width: 2, factors: (-1, 2))
    }
    #expect(throws: SplineZoomError.invalidFactor(1e5)) {
      try splineZoom(input, height: 2, width: 2, factors: (1e5, 1e5))
    }
  }

  @Test("zoom 1 with prefilter returns the input unchanged")
  func identity() throws {
    let input: [Float] = [0, 1, 5, -2, 3, 0.25]
    let result = try splineZoom(input, height: 2, width: 3, factors: (1, 1), order: 5, mode: .constant)
    #expect(result.values == input && result.height == 2 && result.width == 3)
  }
}
