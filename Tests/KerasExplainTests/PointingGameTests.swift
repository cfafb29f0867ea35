import Foundation
import KerasVis
import TestSupport
import Testing

/// One held-out picture of `Tests/Fixtures/pointing/` (written by `tools/make_samples.py`): its class, the shape's
/// bounding box and where the TensorFlow port of keras-vis put the Grad-CAM maximum.
private struct PointingPicture {
  var file: String
  var label: Int
  /// `x0, y0, x1, y1`, inclusive pixel bounds (x to the right, y down).
  var box: [Int]
  /// `x, y` of the argmax of keras-vis's heatmap.
  var pythonPeak: [Int]

  func contains(x: Int, y: Int) -> Bool {
    (box[0]...box[2]).contains(x) && (box[1]...box[3]).contains(y)
  }
}

private struct PointingFixture {
  var pictures: [PointingPicture]
  var penultimateLayerIdx: Int
  var pythonHitRate: Double

  static func load() throws -> PointingFixture {
    let json = try JSONValue.parse(Data(contentsOf: FixtureFolder.pointing.url("boxes.json")))
    let pictures = try #require(json["images"]?.array).map { entry in
      PointingPicture(
        file: entry["file"]?.string ?? "", label: entry["class"]?.int ?? -1,
        box: entry["box"]?.array?.compactMap(\.int) ?? [],
        pythonPeak: entry["python_peak"]?.array?.compactMap(\.int) ?? [])
    }
    return PointingFixture(
      pictures: pictures, penultimateLayerIdx: try #require(json["penultimate_layer_idx"]?.int),
      pythonHitRate: try #require(json["python_hit_rate"]?.number))
  }
}

/// `Samples/shapes_cnn.h5`, the demo's model.
private let sampleModel = samplePath("shapes_cnn.h5")

/// The index of the first largest value of a `(H, W)` map, as `(x, y)` (NumPy's `argmax` order).
private func peak(of map: Tensor) -> (x: Int, y: Int) {
  let values = map.scalars
  var best = 0
  for index in values.indices where values[index] > values[best] { best = index }
  return (best % map.shape[1], best / map.shape[1])
}

@Suite("Grad-CAM pointing game on the sample model")
struct PointingGameTests {
  /// Grad-CAM for the predicted class at the last feature map (`last_conv`), on the 100 held-out pictures: the
  /// heatmap's maximum must fall inside the shape's box for at least 90 of them.
  @Test("the Grad-CAM maximum lies on the shape in at least 90% of the held-out pictures")
  func pointingGame() throws {
    let pointing = try PointingFixture.load()
    #expect(pointing.pictures.count == 100)
    let graph = try KerasModelFile.load(path: sampleModel)
    let explainer = Explainer(graph: graph)
    let lastFeatureMap = try #require(try LayerSearch.lastFeatureMapIdx(graph, before: -1))
    #expect(graph.layers[lastFeatureMap].name == "last_conv")
    #expect(lastFeatureMap == pointing.penultimateLayerIdx)
    let loader = try ModelInputLoader(graph: graph)
    #expect(loader.preprocessing == .none)

    var hits = 0
    var correct = 0
    var agreeing = 0
    for picture in pointing.pictures {
      let input = try loader.load(path: fixturePath(picture.file, in: .pointing))
      let predicted = try explainer.topClass(layerIdx: -1, seedInput: input)
      if predicted == picture.label { correct += 1 }
      let cam = try explainer.visualizeCam(
        layerIdx: -1, filterIndices: [predicted], seedInput: input, penultimateLayerIdx: lastFeatureMap)
      #expect(cam.shape == [64, 64])
      let (x, y) = peak(of: cam)
      if picture.contains(x: x, y: y) { hits += 1 }
      if abs(x - picture.pythonPeak[0]) <= 1 && abs(y - picture.pythonPeak[1]) <= 1 { agreeing += 1 }
    }
    let hitRate = Double(hits) / Double(pointing.pictures.count)
    print("pointing game: hit rate \(hitRate) at layer \(lastFeatureMap) (last_conv)")
    print("the TensorFlow port of keras-vis: \(pointing.pythonHitRate)")
    #expect(hitRate >= 0.9)
    // The same maps as keras-vis's (through TensorFlow) give the same maxima, give or take a pixel on near ties.
    #expect(abs(hitRate - pointing.pythonHitRate) <= 0.02)
    #expect(agreeing >= 98, "\(agreeing) of 100 maxima within a pixel of keras-vis's")
    #expect(correct >= 97, "\(correct) of 100 pictures classified correctly")
  }

  /// The game is not won by a guess that ignores the picture: the centre lies in fewer than half of the boxes.
  @Test("a blind guess does not pass: the picture's centre hits the box far less often")
  func centreBaseline() throws {
    let pointing = try PointingFixture.load()
    let hits = pointing.pictures.filter { $0.contains(x: 32, y: 32) }.count
    #expect(Double(hits) / Double(pointing.pictures.count) < 0.5)
  }
}
