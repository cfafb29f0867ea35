import Foundation
import KerasVis
import TestSupport
import Testing

private let sampleModel = samplePath("shapes_cnn.h5")
private let sampleImages = [samplePath("images/triangle_0.png"), samplePath("images/circle_1.png")]

/// Debian's headless browser on PATH (`tools/setup` installs the `chromium` package), or nil.
private let chromium: URL? = {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for directory in path.split(separator: ":") {
    for name in ["chromium", "chromium-browser"] {
      let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
  }
  return nil
}()

/// `KERASVIS_REQUIRE_BROWSER=1` (tools/test sets it): a missing browser fails the test instead of skipping it.
private let browserRequired = ProcessInfo.processInfo.environment["KERASVIS_REQUIRE_BROWSER"] == "1"

/// The report of the sample model on two sample images, with boxes, in `folder/report`.
private func writeReport(in folder: ScratchFolder) throws -> String {
  let boxes = folder.path("boxes.json")
  try Data(#"{"triangle_0.png": [16, 16, 48, 48], "circle_1.png": [[8, 8, 40, 40]]}"#.utf8)
    .write(to: URL(fileURLWithPath: boxes))
  // The sample's classes, one a line; the third with characters HTML must escape.
  let labels = folder.path("labels.txt")
  try Data("circle\nsquare\ntriangle <&>\n".utf8).write(to: URL(fileURLWithPath: labels))
  let directory = folder.path("report")
  let result = try kerasvis(
    ["report", sampleModel] + sampleImages + [
      "--out", directory, "--penultimate", "conv4", "last_conv", "--boxes", boxes, "--labels", labels,
    ])
  #expect(result.status == 0, "\(result.error)")
  return directory
}

/// The mean absolute difference of two equally long byte arrays.
private func meanDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
  zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(max(a.count, 1))
}

@Suite("kerasvis report: an HTML page, checked in a real browser")
struct ReportBrowserTests {
  @Test("the page links its pictures beside it, escapes names, lists top classes and metrics")
  func page() throws {
    let folder = try ScratchFolder("report")
    defer { folder.cleanUp() }
    let directory = try writeReport(in: folder)
    let html = try String(contentsOfFile: (directory as NSString).appendingPathComponent("index.html"), encoding: .utf8)
    for file in [
      "1-photo.png", "1-overlay-1.png", "1-overlay-2.png", "1-saliency.png", "2-photo.png", "2-saliency.png",
    ] {
      #expect(html.contains("src=\"\(file)\""), "\(file)")
      #expect(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(file)), "\(file)")
    }
    #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src=\"/"), "nothing external")
    #expect(
      html.contains("<th>pointing &#8593;</th>") && html.contains("conv4 (13)") && html.contains("last_conv (16)"))
    #expect(
      html.contains("Top classes") && html.contains("<td>triangle &lt;&amp;&gt;</td>"), "the names of --labels, escaped"
    )
    #expect(!html.contains("triangle <&>"))
    #expect(ExplanationReport.escape(#"<a & "b" 'c'>"#) == "&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;")
  }

  @Test(
    "headless Chromium renders the pictures where the layout puts them",
    .enabled(
      if: chromium != nil || browserRequired,
      "chromium is not installed (tools/setup installs it; KERASVIS_REQUIRE_BROWSER=1 makes this a failure)"))
  func rendered() throws {
    let browser = try #require(chromium, "KERASVIS_REQUIRE_BROWSER=1, but chromium is not on PATH: run tools/setup")
    let folder = try ScratchFolder("report")
    defer { folder.cleanUp() }
    let directory = try writeReport(in: folder)
    let screenshot = folder.path("screenshot.png")
    let page = URL(fileURLWithPath: (directory as NSString).appendingPathComponent("index.html")).absoluteString
    let process = try start(
      browser,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
        "--user-data-dir=\(folder.path("profile"))", "--screenshot=\(screenshot)", "--window-size=1200,800", page,
      ])
    // Chromium 112 and later run the new headless mode for --headless (--headless=new is the same there).
    // A browser that hangs is stopped after two minutes.
    let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
    let result = finish(process)
    watchdog.cancel()
    #expect(result.status == 0, "\(result.error)")
    let shot = try DecodedImage(contentsOfFile: screenshot).converted(to: .rgb)
    #expect(shot.width == 1200 && shot.height == 800)
    // 256-pixel pictures of the 64x64 photo: the photo, two overlays, the saliency map, in one row.
    let side = 256
    for (index, file) in ["1-photo.png", "1-overlay-1.png", "1-overlay-2.png", "1-saliency.png"].enumerated() {
      let origin = ExplanationReportLayout.firstEntryPicture(index, pictureWidth: side)
      let shown = block(shot, x: origin.x, y: origin.y, width: side, height: side)
      let written = try DecodedImage(contentsOfFile: (directory as NSString).appendingPathComponent(file))
        .converted(to: .rgb)
      #expect(written.width == side && written.height == side)
      // The browser shows the PNG at its own size, 1:1; a colour-managed display may move levels slightly.
      let difference = meanDifference(shown, written.pixels)
      #expect(difference < 2, "\(file) at \(origin): mean difference \(difference) from the PNG")
    }
    // The first overlay shows colormap colours: a large share of its pixels is strongly coloured (jet's blue over
    // the dark background, red where the map is high), not the white page.
    let origin = ExplanationReportLayout.firstEntryPicture(1, pictureWidth: side)
    let overlay = block(shot, x: origin.x, y: origin.y, width: side, height: side)
    var colourful = 0
    var white = 0
    for p in stride(from: 0, to: overlay.count, by: 3) {
      let (r, g, b) = (Int(overlay[p]), Int(overlay[p + 1]), Int(overlay[p + 2]))
      if max(r, g, b) - min(r, g, b) > 60 { colourful += 1 }
      if min(r, g, b) > 245 { white += 1 }
    }
    #expect(colourful > side * side / 2, "\(colourful) of \(side * side) pixels are coloured")
    // White: only the box's 2-pixel outline ([16, 48) of the 64-pixel input is [64, 192) here, about 1,000
    // pixels), which the browser shows on the overlay's top edge.
    #expect(white < side * side / 20, "\(white) white pixels")
    #expect(block(shot, x: origin.x + 64, y: origin.y + 64, width: 128, height: 2).allSatisfy { $0 > 245 })
    // Right of the row the page is blank.
    let blankX = ExplanationReportLayout.firstEntryPicture(4, pictureWidth: side).x + 20
    #expect(block(shot, x: blankX, y: origin.y, width: 40, height: side).allSatisfy { $0 == 255 })
  }
}
