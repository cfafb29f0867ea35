import KerasGraph

extension PlanBuilder {
  /// A channels_first layer (`ChannelsFirst`): its input transposed to channels-last, its inner kind lowered as a
  /// channels-last layer of the same call (the same weights), and each output of rank 3 or more transposed back.
  /// Nothing is fused into the inner computation, whose output is read only by the transpose.
  func lowerChannelsFirst(
    _ wrapped: ChannelsFirst, _ index: Int, call: FlatCall, inputs: [Int], outputShapes: [[Int]]
  ) throws -> [Int] {
    let label = call.location.description
    let lastInputs = try inputs.map { input in
      try transposed(input, ChannelsFirst.toChannelsLast(rank: values[input].shape.count), label: label)
    }
    var inner = call
    inner.layer.kind = wrapped.inner
    let innerShapes = outputShapes.map { shape in ChannelsFirst.toChannelsLast(rank: shape.count).map { shape[$0] } }
    let suspended = fusionSuspended
    fusionSuspended = true
    defer { fusionSuspended = suspended }
    let outputs = try lowerLayer(index, call: inner, inputs: lastInputs, outputShapes: innerShapes)
    return try outputs.map { output in
      try transposed(output, ChannelsFirst.toChannelsFirst(rank: values[output].shape.count), label: label)
    }
  }

  /// `input` with its axes in the order `permutation` lists them (batch first), or `input` itself for the identity.
  private func transposed(_ input: Int, _ permutation: [Int], label: String) throws -> Int {
    guard permutation != Array(permutation.indices) else { return input }
    let shape = values[input].shape
    return try PlainKernels.permute(
      order: Array(permutation.dropFirst()), label: label, input: input, outputShape: permutation.map { shape[$0] },
      builder: self)
  }
}
