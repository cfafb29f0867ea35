import ArgumentParser
import Foundation
import KerasVis

extension ExplanationRun {
  /// An input file loaded as the model takes it, with its pictures for overlays.
  struct LoadedInput {
    var file: String
    var input: Tensor
    /// The model-size picture (nil for `.npy` inputs).
    var picture: Image?
    /// The photo at its own size, when the overlay is drawn on it.
    var photo: Image?
  }

  func load(_ file: String, loader: inout ModelInputLoader?) throws -> LoadedInput {
    if file.hasSuffix(".npy") {
      guard graph.inputs.count > 1 else {
        return LoadedInput(file: file, input: try images.inputs([file], graph: graph)[0])
      }
      var tensor = try NPY.read(path: file)
      if tensor.rank == graph.inputs[inputChoice.index].shape.rank - 1 {
        tensor = try tensor.reshaped([1] + tensor.shape)
      }
      return LoadedInput(file: file, input: tensor)
    }
    if loader == nil {
      loader = try ModelInputLoader(
        graph: graph, preprocessing: images.preprocess, size: try images.targetSize(), input: inputChoice.index)
    }
    guard let loader else { throw ValidationError("cannot prepare image inputs for this model") }
    if options.out != nil && options.overlaySize == .photo {
      let (input, picture, photo) = try loader.loadWithPhoto(path: file)
      return LoadedInput(file: file, input: input, picture: picture, photo: photo)
    }
    let (input, picture) = try loader.loadWithPicture(path: file)
    return LoadedInput(file: file, input: input, picture: picture)
  }

  /// Consecutive inputs of the same shape, which one pass can take together.
  static func sameShapeGroups(_ inputs: [LoadedInput]) -> [[LoadedInput]] {
    var groups: [[LoadedInput]] = []
    for input in inputs {
      if let last = groups.last?.last, last.input.shape == input.input.shape {
        groups[groups.count - 1].append(input)
      } else {
        groups.append([input])
      }
    }
    return groups
  }
}
