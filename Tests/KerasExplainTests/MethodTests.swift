import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

private func loadExplainer(_ file: String) throws -> Explainer {
  Explainer(graph: try KerasModelFile.load(path: Fixtures.path(file)))
}

private func input(_ file: String) throws -> Tensor { try NPY.read(path: Fixtures.path(file)) }

private func samples(_ batch: Tensor) throws -> [Tensor] {
  try (0..<batch.shape[0]).map { try batch.sample($0) }
}

@Suite("Methods: resizing, layers, targets, batches, errors")
struct MethodTests {
  // The resize references are float32; OpenCV and PyTorch interpolate in float32 too, so only the order of two
  // or three roundings differs: 1e-6 on values in 0...1.
  @Test("openCVLinearResize equals cv2.resize and alignedCornersLinearResize equals UpsamplingBilinear2d")
  func resizes() throws {
    let json = try JSONValue.parse(Data(contentsOf: FixtureFolder.methods.url("cases.json")))
    let entries = try #require(json["resize"]?.array)
    #expect(entries.count == 4)
    for entry in entries {
      let stem = try #require(entry["stem"]?.string)
      let from = (entry["from"]?.array ?? []).compactMap { $0.int }
      let to = (entry["to"]?.array ?? []).compactMap { $0.int }
      try #require(from.count == 2 && to.count == 2)
      let source = try input("methods/\(stem).input.npy").scalars
      let opencv = openCVLinearResize(source, height: from[0], width: from[1], toHeight: to[0], toWidth: to[1])
      let torch = alignedCornersLinearResize(source, height: from[0], width: from[1], toHeight: to[0], toWidth: to[1])
      let expectedOpenCV = try input("methods/\(stem).opencv.npy").scalars
      let expectedTorch = try input("methods/\(stem).torch.npy").scalars
      #expect(opencv.count == expectedOpenCV.count && torch.count == expectedTorch.count)
      expectAllClose(opencv, expectedOpenCV, rtol: 0, atol: 1e-6, "\(stem): OpenCV")
      expectAllClose(torch, expectedTorch, rtol: 0, atol: 1e-6, "\(stem): PyTorch")
    }
  }

  @Test("the automatic layer is the last spatial feature map, inside nested models")
  func automaticLayer() throws {
    #expect(try loadExplainer("models/inception_v3_narrow.h5").automaticCAMLayer() == [310])
    #expect(try loadExplainer("models/sequential_cnn.h5").automaticCAMLayer() == [5])
    let nested = try loadExplainer("models/nested_mobilenet.h5")
    let address = try nested.automaticCAMLayer()
    #expect(address.count == 2 && address[0] == 0)
    #expect(nested.graph.path(ofAddress: address)?.hasSuffix("/out_relu") == true)
    #expect(nested.describeLayer(address).contains("out_relu"))
    let k3 = try loadExplainer("models/nested_k3.keras")
    let k3Address = try k3.automaticCAMLayer()
    #expect(k3Address.first == 2 && k3.graph.layer(atAddress: k3Address)?.className == "Activation")
    // A CAM without a named layer uses it, and reports it.
    let explanation = try k3.explain(
      ExplanationRequest(input: try input("models/nested_k3.input.npy")), with: GradCAM())
    #expect(explanation.layer == k3Address)
    #expect(explanation.maps.shape == [2, 16, 16])
  }

  @Test("a model without any feature map has no automatic layer")
  func noFeatureMap() throws {
    let explainer = try loadExplainer("models/float16_dense.h5")
    #expect(throws: KerasVisError.self) { try explainer.automaticCAMLayer() }
  }

  @Test("every method explains a batch as it explains each sample alone")
  func batchesEqualSingles() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let batch = try input("models/sequential_cnn.input.npy")
    // Not SmoothGrad (its noise is drawn for the whole batch) nor Faster Score-CAM (its channels are the union of
    // every sample's top channels, as in tf-keras-vis).
    let methods: [any ExplanationMethod] = [
      GradCAM(), GradCAMPlusPlus(variant: .tfKerasVis), ScoreCAM(), AblationCAM(), EigenCAM(),
      IntegratedGradients(steps: 4), GuidedCAM(cam: LayerCAM()), InputXGradient(),
    ]
    for method in methods {
      var request = ExplanationRequest(input: batch, targets: [.category(3), .category(8)])
      request.batchSize = 3
      let together = try explainer.explain(request, with: method)
      for (index, sample) in try samples(batch).enumerated() {
        var single = ExplanationRequest(input: sample, targets: [together.targets[index]])
        single.batchSize = 3
        let alone = try explainer.explain(single, with: method)
        let expected = try together.maps.sample(index)
        // Batched and single passes run different oneDNN kernels: float32 round-off only.
        #expect(largestDifference(alone.maps, expected) <= 1e-5, "\(method.name), sample \(index)")
      }
    }
  }

  @Test("without targets, each sample's top class is explained")
  func topClasses() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let batch = try input("models/sequential_cnn.input.npy")
    let explanation = try explainer.explain(ExplanationRequest(input: batch), with: GradCAM())
    let outputs = try CompiledModel(graph: explainer.graph).predict([batch])[0]
    for sample in 0..<2 {
      let row = (0..<10).map { outputs[sample, $0] }
      let top = row.indices.max { row[$0] < row[$1] }
      #expect(explanation.targets[sample].classIndices == [top!])
      #expect(abs(explanation.scores[sample] - row[top!]) <= 1e-6)
    }
  }

  @Test("a probability target on a linear output applies softmax: the same map as the model's own softmax")
  func probabilityOfLinearOutput() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let linear = Explainer(graph: try explainer.graph.replacingActivation(ofLayerAt: [9], with: .linear))
    let batch = try input("models/sequential_cnn.input.npy")
    for method in [GradCAM(), ScoreCAM()] as [any ClassActivationMapping] {
      let own = try explainer.explain(ExplanationRequest(input: batch, targets: [.category(4)]), with: method)
      let computed = try linear.explain(
        ExplanationRequest(input: batch, targets: [.category(4, score: .probability)]), with: method)
      #expect(largestDifference(own.maps, computed.maps) <= 1e-5, "\(method.name)")
      expectAllClose(own.scores, computed.scores, rtol: 0, atol: 1e-6, "\(method.name): scores")
      // .logit on the softmax model reads the linear model's output.
      let logit = try explainer.explain(
        ExplanationRequest(input: batch, targets: [.category(4, score: .logit)]), with: method)
      let plain = try linear.explain(ExplanationRequest(input: batch, targets: [.category(4)]), with: method)
      #expect(largestDifference(logit.maps, plain.maps) <= 1e-5, "\(method.name)")
    }
  }

  @Test("a negative binary target negates the gradient")
  func binaryNegation() throws {
    let explainer = try loadExplainer("methods/binary_cnn.h5")
    let x = try input("methods/binary_cnn.input.npy")
    let positive = try explainer.targetedPass(
      input: x, targets: [.binary(positive: true)], layer: [1], gradient: .layer)
    let negative = try explainer.targetedPass(
      input: x, targets: [.binary(positive: false)], layer: [1], gradient: .layer)
    let p = try #require(positive.gradients).scalars
    let n = try #require(negative.gradients).scalars
    #expect(zip(p, n).allSatisfy { $0 == -$1 })
    #expect(zip(positive.scores, negative.scores).allSatisfy { $0 == -$1 })
  }

  @Test("bad targets, layers and arguments are refused with errors naming them")
  func errors() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let batch = try input("models/sequential_cnn.input.npy")
    func failure(_ request: ExplanationRequest, _ method: any ExplanationMethod = GradCAM()) -> String {
      do {
        _ = try explainer.explain(request, with: method)
        return ""
      } catch {
        return "\(error)"
      }
    }
    #expect(failure(ExplanationRequest(input: batch, targets: [.category(10)])).contains("'dense_1' (index 9, Dense)"))
    #expect(
      failure(ExplanationRequest(input: batch, targets: [.category(1), .category(2), .category(3)]))
        .contains("3 targets for 2 samples"))
    #expect(failure(ExplanationRequest(input: batch, targets: [.binary(positive: true)])).contains("(N, 1)"))
    #expect(
      failure(ExplanationRequest(input: batch, targets: [.category(1), .category(2, score: .logit)]))
        .contains("same output the same way"))
    #expect(failure(ExplanationRequest(input: batch, targets: [.category(1, output: 1)])).contains("output 1"))
    #expect(failure(ExplanationRequest(input: batch, layer: [8])).contains("'dense' (index 8, Dense)"))
    #expect(failure(ExplanationRequest(input: batch, layer: [42])).contains("no layer at address 42"))
    #expect(failure(ExplanationRequest(input: batch, layer: [5]), ScoreCAM(maxN: 17)).contains("maxN"))
    #expect(failure(ExplanationRequest(input: batch), SmoothGrad(samples: 0)).contains("at least one sample"))
    #expect(
      failure(ExplanationRequest(input: batch), IntegratedGradients(steps: 1, rule: .riemannTrapezoid))
        .contains("at least 2 steps"))
    let wrongGradient = ExplanationTarget.custom("bad") { output in (0, try Tensor(zeros: [3])) }
    #expect(failure(ExplanationRequest(input: batch, targets: [wrongGradient])).contains("target 'bad'"))
    var unbatched = ExplanationRequest(input: batch)
    unbatched.batchSize = 0
    #expect(failure(unbatched, ScoreCAM()).contains("batch size"))
    #expect(throws: KerasVisError.self) { try MethodCatalog.method(named: "gradcam+++") }
  }

  @Test("every catalogued method runs on a nested model and returns maps of the input size")
  func catalogue() throws {
    let explainer = try loadExplainer("models/nested_k3.keras")
    let batch = try input("models/nested_k3.input.npy")
    var options = MethodOptions()
    options.samples = 2
    options.steps = 3
    for name in MethodCatalog.camMethods + MethodCatalog.gradientMethods {
      let method = try MethodCatalog.method(named: name, options: options)
      #expect(method.name == name || name == "vanilla")
      let explanation = try explainer.explain(ExplanationRequest(input: batch, targets: [.category(1)]), with: method)
      #expect(Array(explanation.maps.shape.prefix(3)) == [2, 16, 16], "\(name)")
      #expect(explanation.maps.scalars.allSatisfy { $0.isFinite }, "\(name)")
      #expect(method.usesLayer == (explanation.layer != nil), "\(name)")
    }
  }

  @Test("Gauss-Legendre points and weights are the textbook values")
  func gaussLegendrePoints() {
    let (nodes, weights) = gaussLegendre(3)
    let expectedNodes = [-(0.6).squareRoot(), 0, (0.6).squareRoot()]
    #expect(zip(nodes, expectedNodes).allSatisfy { abs($0 - $1) <= 1e-15 })
    #expect(zip(weights, [5.0 / 9, 8.0 / 9, 5.0 / 9]).allSatisfy { abs($0 - $1) <= 1e-15 })
    let (nodes20, weights20) = gaussLegendre(20)
    #expect(abs(weights20.reduce(0, +) - 2) <= 1e-13)
    // Exact for polynomials of degree up to 39: the integral of t^38 over -1...1 is 2/39.
    let integral = zip(nodes20, weights20).reduce(0) { $0 + $1.1 * pow($1.0, 38) }
    #expect(abs(integral - 2.0 / 39) <= 1e-13)
  }

  @Test("the principal component projection: known cases, and subspace iteration agrees with Jacobi")
  func projection() throws {
    // Positions on a line in channel space: the projection is the signed distance along it from the mean.
    let direction: [Float] = [0.6, 0.8, 0]
    let offsets: [Float] = [-2, -1, 0, 1, 2, 4]
    let values = offsets.flatMap { t in direction.map { t * $0 + 1 } }
    let projection = values.withUnsafeBufferPointer {
      principalComponentProjection($0, positions: offsets.count, channels: 3)
    }
    let mean = offsets.reduce(0, +) / Float(offsets.count)
    #expect(zip(projection, offsets).allSatisfy { abs($0 - ($1 - mean)) <= 1e-5 })
    // Negating the channels flips the sign of the vector, which the sign rule undoes... into a negated map.
    let negated = values.map { -$0 }
    let flipped = negated.withUnsafeBufferPointer {
      principalComponentProjection($0, positions: offsets.count, channels: 3)
    }
    #expect(zip(flipped, projection).allSatisfy { abs($0 + $1) <= 1e-5 })
    // A random symmetric matrix: both eigen solvers give the same top pair.
    var generator = GaussianGenerator(seed: 5)
    let n = 60
    let random = (0..<(n * n)).map { _ in Double(generator.next()) }
    var symmetric = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n { symmetric[i * n + j] = (0..<n).reduce(0) { $0 + random[i * n + $1] * random[j * n + $1] } }
    }
    let (jacobiValue, jacobiVector) = jacobiTopEigenpair(symmetric, size: n)
    let (subspaceValue, subspaceVector) = subspaceTopEigenpair(symmetric, size: n)
    #expect(abs(jacobiValue - subspaceValue) <= 1e-9 * jacobiValue)
    let dot = zip(jacobiVector, subspaceVector).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(abs(abs(dot) - 1) <= 1e-9)
  }

  @Test("SmoothGrad's seeded noise is reproducible and given noise must have the right shape")
  func smoothGradNoise() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let request = ExplanationRequest(input: try input("models/sequential_cnn.input.npy"), targets: [.category(2)])
    let first = try explainer.explain(request, with: SmoothGrad(samples: 3, noise: .seeded(9)))
    let again = try explainer.explain(request, with: SmoothGrad(samples: 3, noise: .seeded(9)))
    let other = try explainer.explain(request, with: SmoothGrad(samples: 3, noise: .seeded(10)))
    #expect(first.maps == again.maps)
    #expect(first.maps != other.maps)
    let wrongNoise = SmoothGrad(samples: 3, noise: .standardNormal(try Tensor(zeros: [2, 28, 28, 1])))
    #expect(throws: KerasVisError.self) { try explainer.explain(request, with: wrongNoise) }
    // Zero noise is the vanilla gradient.
    let noiseless = try explainer.explain(request, with: SmoothGrad(samples: 2, noiseLevel: 0))
    let vanilla = try explainer.explain(request, with: VanillaSaliency())
    #expect(largestDifference(noiseless.maps, vanilla.maps) <= 1e-6)
  }

  @Test("Integrated Gradients is complete: attributions sum to the score difference")
  func completeness() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let batch = try input("models/sequential_cnn.input.npy")
    let explanation = try explainer.explain(
      ExplanationRequest(input: batch, targets: [.category(3, score: .logit)]),
      with: IntegratedGradients(steps: 512, rule: .riemannMiddle))
    let attributions = try #require(explanation.attributions)
    let baseline = try explainer.targetedPass(
      input: try Tensor(zeros: batch.shape), targets: [.category(3, score: .logit)])
    for sample in 0..<2 {
      let total = try attributions.sample(sample).scalars.reduce(0, +)
      let difference = explanation.scores[sample] - baseline.scores[sample]
      // The path crosses ReLU and max-pooling kinks, where Gauss-Legendre converges slowly (64 points: 8e-2 off);
      // 512 midpoints integrate it to 1e-3 of the difference.
      #expect(abs(total - difference) <= 1e-3 * max(abs(difference), 1), "sample \(sample): \(total) vs \(difference)")
    }
  }
}
