import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// `Tests/Fixtures/lucid/lucent.json`, written by `tools/make_lucid_fixtures.py` with torch-lucent 0.1.8 (kornia
/// 0.4.1, the version lucent pins) and torch 2.15.
struct LucentFixture: Decodable {
  struct Parameterization: Decodable {
    var shape: [Int], coefficientShape: [Int], coefficients: [Float], spatial: [Float], rgb: [Float]
  }
  struct Decorrelation: Decodable { var shape: [Int], input: [Float], output: [Float] }
  struct Planes: Decodable { var shape: [Int], values: [Float] }
  struct Transform: Decodable {
    var kind: String, amount: Int?, dx: Int?, dy: Int?, scale: Double?, angle: Double?, size: Int?
    var shape: [Int]?, output: [Float]
  }
  struct Adam: Decodable { var learningRate: Float, start: [Float], gradients: [[Float]], steps: [[Float]] }
  var parameterization: [Parameterization]
  var decorrelation: Decorrelation
  var transformInput: Planes
  var transforms: [Transform]
  var adam: Adam

  static func load() throws -> LucentFixture {
    try JSONDecoder().decode(
      LucentFixture.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("lucid/lucent.json"))))
  }
}

@Suite("Feature visualization: lucent's parameterization, transforms, Adam; filters of the sample")
struct FeatureVisualizationTests {
  // lucent computes in float32 (torch's FFT, kornia's normalized grids); kerasvis sums the DFT and the sampling
  // coordinates in Double, so differences are float32 rounding of sums of ~100 terms: 1e-5 absolute.
  @Test func parameterizationEqualsLucent() throws {
    for c in try LucentFixture.load().parameterization {
      let image = try FourierImage(count: c.shape[0], channels: c.shape[1], height: c.shape[2], width: c.shape[3])
      #expect(image.spectrumCount == c.coefficients.count)
      expectAllClose(image.spatial(c.coefficients), c.spatial, rtol: 1e-4, atol: 1e-5, "fft_image \(c.shape)")
      expectAllClose(image.image(c.coefficients), c.rgb, rtol: 1e-4, atol: 1e-5, "to_valid_rgb \(c.shape)")
    }
  }

  @Test func decorrelationEqualsLucent() throws {
    let d = try LucentFixture.load().decorrelation
    let result = FourierImage.decorrelated(d.input, count: d.shape[0], height: d.shape[2], width: d.shape[3])
    expectAllClose(result, d.output, rtol: 1e-5, atol: 1e-6, "_linear_decorrelate_color")
  }

  @Test func transformsEqualLucent() throws {
    let fixture = try LucentFixture.load()
    let input = fixture.transformInput
    let (planes, h, w) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
    for t in fixture.transforms {
      let transform: ImageTransform
      switch t.kind {
      case "pad": transform = .pad(t.amount ?? 0, value: 0.5, height: h, width: w)
      case "jitter": transform = .translate(dx: t.dx ?? 0, dy: t.dy ?? 0, height: h, width: w)
      case "scale": transform = .scale(t.scale ?? 1, height: h, width: w)
      case "rotate": transform = .rotate(degrees: t.angle ?? 0, height: h, width: w)
      default: transform = .resize(height: h, width: w, toHeight: t.size ?? h, toWidth: t.size ?? w)
      }
      if let shape = t.shape {
        #expect([transform.outputHeight, transform.outputWidth] == Array(shape.suffix(2)), "\(t.kind) shape")
      }
      expectAllClose(transform.apply(input.values, planes: planes), t.output, rtol: 1e-4, atol: 1e-5, "\(t.kind)")
    }
  }

  /// The adjoints are the transposes: <A x, y> = <x, A^T y> for random x, y.
  @Test func adjointsAreTransposes() throws {
    var generator = SeededGenerator(state: 7)
    func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -1...1, using: &generator) } }
    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
    for transform in [
      ImageTransform.translate(dx: 3, dy: 1, height: 9, width: 10), .rotate(degrees: 7, height: 9, width: 10),
      .scale(0.9, height: 9, width: 10), .scale(1.1, height: 9, width: 10),
      .resize(height: 9, width: 10, toHeight: 13, toWidth: 7),
    ] {
      let x = random(2 * 90), y = random(2 * transform.outputHeight * transform.outputWidth)
      let lhs = dot(transform.apply(x, planes: 2), y), rhs = dot(x, transform.adjoint(y, planes: 2))
      #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "transform \(lhs) vs \(rhs)")
    }
    for (h, w) in [(6, 7), (8, 8)] {
      let image = try FourierImage(count: 1, channels: 3, height: h, width: w)
      // The odd width's extra column is unused, so compare on the image side only.
      let x = random(image.spectrumCount), y = random(3 * h * w)
      let lhs = dot(image.spatial(x), y), rhs = dot(x, image.spatialAdjoint(y))
      #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "fft \(h)x\(w): \(lhs) vs \(rhs)")
    }
  }

  @Test func adamEqualsTorch() throws {
    let a = try LucentFixture.load().adam
    var parameters = a.start
    var adam = AdamOptimizer(learningRate: a.learningRate)
    for (gradient, expected) in zip(a.gradients, a.steps) {
      adam.step(&parameters, gradient: gradient)
      // The float32 formula of torch's single-tensor Adam; torch fuses some operations: float32 rounding, 1e-5.
      expectAllClose(parameters, expected, rtol: 1e-5, atol: 1e-6, "Adam step")
    }
  }

  /// On the sample model's `last_conv`, lucid-style images of 8 filters differ from each other and activate their
  /// filter more than keras-vis's `visualize_activation` (defaults, without and with jitter 0.05) after the same
  /// number of steps.
  /// Both maximize the pre-activation (`linear`): `last_conv`'s ReLU is zero everywhere on a gray start image.
  @Test func sampleFiltersDifferAndBeatKerasVis() throws {
    let graph = try KerasModelFile.load(path: samplePath("shapes_cnn.h5"))
    let explainer = Explainer(graph: graph)
    let layer = try #require(graph.layerIndex(named: "last_conv"))
    let filters = 8, steps = 12
    var options = FeatureVisualizationOptions()
    options.iterations = steps
    options.batch = filters
    options.linear = true
    let objective = FeatureObjective.sum((0..<filters).map { .channel(layer: layer, channel: $0, batch: $0) })
    let lucid = try explainer.visualizeFeature(objective, options: options)
    let model = try explainer.model(keeping: [layer], linearLayer: layer)
    func activation(_ input: Tensor, sample: Int, filter: Int) throws -> Float {
      let output = try #require(try model.run([input]).layers[LayerOutputKey(address: [layer])])
      let channels = output.shape[3], positions = output.count / (output.shape[0] * channels)
      let values = output.scalars
      return (0..<positions).reduce(Float(0)) {
        $0 + values[(sample * positions + $1) * channels + filter]
      } / Float(positions)
    }
    let images = lucid.images.scalars, size = images.count / filters
    var smallest = Float.infinity
    for i in 0..<filters {
      for j in (i + 1)..<filters {
        let difference =
          (0..<size).reduce(Float(0)) { $0 + abs(images[i * size + $1] - images[j * size + $1]) } / Float(size)
        smallest = min(smallest, difference)
      }
    }
    // Pairwise mean absolute difference of images in 0...1; near-identical textures are below 0.01.
    #expect(smallest > 0.02, "lucid images of different filters are too alike: \(smallest)")
    // keras-vis's library defaults (no jitter) and the CLI's (jitter 0.05).
    for jitter in [nil, Jitter()] {
      var kerasVisOptions = ActivationMaximizationOptions()
      kerasVisOptions.iterations = steps
      kerasVisOptions.jitter = jitter
      kerasVisOptions.linear = true
      for filter in 0..<filters {
        let lucidActivation = try activation(lucid.inputs, sample: filter, filter: filter)
        let kerasVis = try explainer.visualizeActivation(
          layerIdx: layer, filterIndices: [filter], options: kerasVisOptions)
        let kerasVisActivation = try activation(try explainer.batched(kerasVis), sample: 0, filter: filter)
        #expect(
          lucidActivation > kerasVisActivation,
          "filter \(filter), jitter \(jitter != nil): \(lucidActivation) vs \(kerasVisActivation)")
      }
    }
  }
}

@Suite("Feature visualization objectives: values and gradients")
struct FeatureObjectiveTests {
  /// Every objective's gradient against central differences (steps of 1e-2 on float32 values: 2e-3).
  @Test func gradientsMatchFiniteDifferences() throws {
    var generator = SeededGenerator(state: 3)
    let shape = [3, 2, 2, 4]
    let values = (0..<48).map { _ in Float.random(in: -1...1, using: &generator) }
    let objectives: [FeatureObjective] = [
      .channel(layer: 0, channel: 1), .channel(layer: 0, channel: 2, batch: 1), .neuron(layer: 0, channel: 3),
      .direction(layer: 0, direction: [0.5, -1, 0.25, 2]), .diversity(layer: 0),
      .channel(layer: 0, channel: 0) + -2 * .diversity(layer: 0),
    ]
    for objective in objectives {
      var gradients: [Int: [Float]] = [:]
      _ = try objective.evaluate([0: try Tensor(shape: shape, values: values)], gradients: &gradients)
      let analytic = try #require(gradients[0])
      let numeric = try (0..<values.count).map { i -> Float in
        func value(_ delta: Float) throws -> Float {
          var shifted = values
          shifted[i] += delta
          var unused: [Int: [Float]] = [:]
          return try objective.evaluate([0: try Tensor(shape: shape, values: shifted)], gradients: &unused)
        }
        return (try value(1e-2) - (try value(-1e-2))) / 2e-2
      }
      expectAllClose(analytic, numeric, rtol: 1e-2, atol: 2e-3, "\(objective)")
    }
  }

  @Test func valuesAreLucents() throws {
    // channel: the mean of the channel; neuron: the centre (H/2, W/2); diversity of identical samples: -(N - 1).
    let t = try Tensor(shape: [2, 2, 2, 1], values: [1, 2, 3, 4, 1, 2, 3, 4])
    var g: [Int: [Float]] = [:]
    #expect(try FeatureObjective.channel(layer: 0, channel: 0).evaluate([0: t], gradients: &g) == 2.5)
    #expect(try FeatureObjective.neuron(layer: 0, channel: 0).evaluate([0: t], gradients: &g) == 4)
    let diversity = try FeatureObjective.diversity(layer: 0).evaluate([0: t], gradients: &g)
    #expect(abs(diversity + 1) < 1e-6)
  }
}
