import Foundation
import Imaging
import KerasRuntime
import TestSupport
import Testing

@Suite("kerasvis activation and filters --style lucid")
struct LucidCommandTests {
  @Test("activation --style lucid writes a PNG, an animated GIF and the image in 0...255")
  func activation() throws {
    let (png, gif, npy) = (temporaryPath(".png"), temporaryPath(".gif"), temporaryPath(".npy"))
    defer { for path in [png, gif, npy] { try? FileManager.default.removeItem(atPath: path) } }
    let result = try kerasvis([
      "activation", fixturePath("sequential_cnn.h5"), "--layer", "-1", "--filter", "4", "--style", "lucid",
      "--iterations", "4", "--linear", "--out", png, "--gif", gif, "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let image = try NPY.read(path: npy)
    #expect(image.shape == [28, 28, 1])
    #expect(image.scalars.allSatisfy { (0...255).contains($0) })
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: gif)))
    #expect(Array(data.prefix(6)) == Array("GIF89a".utf8))
    // A snapshot after every step (4 / 50 rounds up to 1) and the final image.
    #expect((0..<(data.count - 1)).filter { data[$0] == 0x21 && data[$0 + 1] == 0xF9 }.count == 5)
    #expect(FileManager.default.fileExists(atPath: png))
  }

  @Test("filters --maximize --style lucid draws a grid; --gif and --style need lucid and --maximize")
  func filters() throws {
    let out = temporaryPath(".png")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let result = try kerasvis([
      "filters", samplePath("shapes_cnn.h5"), "--layer", "last_conv", "--maximize", "--style", "lucid",
      "--iterations", "2", "--max-filters", "3", "--out", out,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("last_conv"))
    let noMaximize = try kerasvis([
      "filters", samplePath("shapes_cnn.h5"), "--layer", "last_conv", "--style", "lucid", "--out", out,
    ])
    #expect(noMaximize.status != 0)
    let gifWithoutLucid = try kerasvis(["activation", samplePath("shapes_cnn.h5"), "--filter", "0", "--gif", out])
    #expect(gifWithoutLucid.status != 0 && gifWithoutLucid.error.contains("--gif"))
  }
}
