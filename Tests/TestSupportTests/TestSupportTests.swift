import Foundation
import KerasRuntime
import TestSupport
import Testing

/// The shared support code the other test targets rely on.
@Suite("TestSupport")
struct TestSupportTests {
  @Test("allClose follows NumPy: |a - b| <= atol + rtol |b|, equal infinities close, NaN only with equalNaN")
  func allCloseRule() throws {
    #expect(allClose([1.25], [1], rtol: 0.125, atol: 0.125).holds)  // 0.25 <= 0.125 + 0.125 * 1
    #expect(!allClose([1.25], [1], rtol: 0.125, atol: 0.124).holds)
    #expect(!allClose([2.0], [1.0], rtol: 0.5, atol: 0.4).holds)  // relative to the expected value, not the actual
    #expect(allClose([1.0], [2.0], rtol: 0.5, atol: 0).holds)
    #expect(allClose([Float.infinity, -.infinity], [.infinity, -.infinity], rtol: 0, atol: 0).holds)
    #expect(!allClose([Float.infinity], [-.infinity], rtol: 1, atol: 1).holds)
    #expect(!allClose([1], [Float.infinity], rtol: 1, atol: 1).holds)
    #expect(!allClose([Float.nan], [.nan], rtol: 1, atol: 1).holds)
    #expect(allClose([Float.nan], [.nan], rtol: 0, atol: 0, equalNaN: true).holds)
    #expect(!allClose([Float.nan], [1], rtol: 1, atol: 1, equalNaN: true).holds)
    #expect(!allClose([1, 2], [1], rtol: 1, atol: 1).holds)
    let flat = try Tensor(shape: [4], values: [1, 2, 3, 4])
    let square = try Tensor(shape: [2, 2], values: [1, 2, 3, 4])
    #expect(allClose(square, square, rtol: 0, atol: 0).holds)
    #expect(!allClose(flat, square, rtol: 1, atol: 1).holds)
  }

  @Test("a failed allClose names the worst element, how many failed and the largest difference")
  func allCloseReport() {
    let result = allClose([0, 1, 5, 2.5], [0, 1.5, 1, 2], rtol: 0, atol: 0.6)
    #expect(!result.holds && result.failures == 1 && result.worstIndex == 2)
    #expect(result.worst.actual == 5 && result.worst.expected == 1 && result.maxAbsoluteDifference == 4)
    #expect(result.description.contains("1 of 4 elements") && result.description.contains("index 2: 5.0 vs 1.0"))
  }

  @Test("every fixture folder exists; samples and model fixtures resolve")
  func fixtureFolders() {
    for folder in FixtureFolder.allCases {
      var isDirectory: ObjCBool = false
      #expect(FileManager.default.fileExists(atPath: folder.url.path, isDirectory: &isDirectory), "\(folder)")
      #expect(isDirectory.boolValue, "\(folder)")
    }
    #expect(FileManager.default.fileExists(atPath: fixturePath("sequential_cnn.h5")))
    #expect(fixturePath("sequential_cnn.h5") == fixturePath("sequential_cnn.h5", in: .models))
    #expect(FileManager.default.fileExists(atPath: samplePath("shapes_cnn.h5")))
  }

  @Test("NPYArray keeps the stored dtype and reads the values through the library's reader")
  func npyArray() throws {
    let pixels = try NPYArray(fixture: "expected/gray16_png.grayscale.12x30.box.full.npy", in: .images)
    #expect(pixels.dtype == "<u2" && pixels.shape == [12, 30, 1] && pixels.uint8 == nil)
    #expect(pixels.uint16?.max() == 64957)
    let scratch = try ScratchFolder("support")
    defer { scratch.cleanUp() }
    let values = try Tensor(shape: [2, 3], values: [0, -1.5, .pi, 1e-30, 7, .greatestFiniteMagnitude])
    try NPY.write(values, to: scratch.path("values.npy"))
    let array = try NPYArray(path: scratch.path("values.npy"))
    #expect(array.dtype == "<f4" && array.float32 == values.scalars && array.uint16 == nil)
  }

  @Test("seeded tensors are the same for a seed and differ between seeds")
  func seeded() throws {
    var first = SeededGenerator(state: 3)
    var again = SeededGenerator(state: 3)
    var other = SeededGenerator(state: 4)
    let a = try randomTensor([5, 7], using: &first)
    #expect(a == (try randomTensor([5, 7], using: &again)))
    #expect(a != (try randomTensor([5, 7], using: &other)))
    #expect(a.scalars.allSatisfy { (-1...1).contains($0) })
  }

  @Test("the kerasvis runner finds the built executable and reports its exit code and output")
  func runner() throws {
    let result = try kerasvis(["--help"])
    #expect(result.status == 0 && !result.signaled && result.output.contains("USAGE"))
    let usage = try kerasvis(["no-such-command"])
    #expect(usage.status == 64 && usage.error.contains("no-such-command"))
  }
}
