import KerasGraph
import Testing

@Suite("filter kernels laid out as (height, width, inputs, filters)")
struct FilterKernelTests {
  private func layer(_ kind: any LayerKind, _ weight: Weight) -> Layer {
    Layer(index: 0, name: "layer", className: "Test", config: .object([:]), kind: kind, weights: [weight])
  }

  @Test(
    "a convolution's kernel as stored, a 1-D kernel with height 1, a transposed one transposed, depthwise per channel")
  func layouts() throws {
    let window = Window(kernelSize: [1, 2], strides: [1, 1])
    let values = (0..<12).map(Float.init)
    // (1, 2, 2 inputs, 3 filters)
    let conv = try #require(
      layer(
        Conv2D(filters: 3, window: window), Weight(name: "kernel", shape: [1, 2, 2, 3], values: FloatBuffer(values))
      )
      .filterKernel)
    #expect(conv.values == values && [conv.height, conv.width, conv.inputs, conv.filters] == [1, 2, 2, 3])
    let oneD = try #require(
      layer(Conv2D(filters: 3, window: window), Weight(name: "kernel", shape: [2, 2, 3], values: FloatBuffer(values)))
        .filterKernel)
    #expect([oneD.height, oneD.width, oneD.inputs, oneD.filters] == [1, 2, 2, 3])
    // Keras stores a transposed kernel as (1, 2, 3 filters, 2 inputs): element [0, w, f, i] = w * 6 + f * 2 + i.
    let transposed = try #require(
      layer(
        Conv2DTranspose(filters: 3, window: window),
        Weight(name: "kernel", shape: [1, 2, 3, 2], values: FloatBuffer(values))
      ).filterKernel)
    #expect([transposed.height, transposed.width, transposed.inputs, transposed.filters] == [1, 2, 2, 3])
    for w in 0..<2 {
      for i in 0..<2 {
        for f in 0..<3 { #expect(transposed.values[(w * 2 + i) * 3 + f] == Float(w * 6 + f * 2 + i)) }
      }
    }
    let depthwise = try #require(
      layer(
        DepthwiseConv2D(window: window, depthMultiplier: 2),
        Weight(name: "depthwise_kernel", shape: [1, 2, 3, 2], values: FloatBuffer(values))
      ).filterKernel)
    #expect([depthwise.inputs, depthwise.filters] == [1, 6])
    #expect(
      layer(Dense(units: 2), Weight(name: "kernel", shape: [3, 2], values: FloatBuffer(values))).filterKernel == nil)
  }
}
