import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasVisCLI

private let sampleModel = samplePath("shapes_cnn.h5")
private let sampleImage = samplePath("images/triangle_0.png")

/// A photo larger than the sample model's 64x64 input, of another aspect ratio: the sample picture enlarged to
/// 160x120 (bicubic) and written as PNG into `folder`.
private func largePhoto(in folder: ScratchFolder) throws -> (path: String, image: Image) {
  let image = try DecodedImage(contentsOfFile: sampleImage).converted(to: .rgb)
    .resized(width: 160, height: 120, interpolation: .bicubic)
  let path = folder.path("photo.png")
  try image.writePNG(toFile: path)
  return (path, image)
}

/// A PNG written by kerasvis, decoded.
private func picture(_ path: String) throws -> Image {
  try DecodedImage(contentsOfFile: path).converted(to: .rgb)
}

@Suite("cam and saliency pictures: at the photo's size, colormaps, annotations")
struct PhotoPictureTests {
  @Test("--out draws over the photo at its own size; --npy stays the map at the model's input size")
  func overlayAtPhotoSize() throws {
    let folder = try ScratchFolder("photo")
    defer { folder.cleanUp() }
    let photo = try largePhoto(in: folder)
    for command in ["cam", "saliency"] {
      let out = folder.path("\(command).png")
      let npy = folder.path("\(command).npy")
      let result = try kerasvis([command, sampleModel, photo.path, "--out", out, "--npy", npy, "--alpha", "0.4"])
      #expect(result.status == 0, "\(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == [64, 64])
      let drawn = try picture(out)
      #expect(drawn.width == 160 && drawn.height == 120)
      // The map resized bilinearly to 160x120, coloured with jet, blended over the photo (keras-vis's overlay).
      let expected = try camOverlay(heatmap: map.scalars, heatmapWidth: 64, on: photo.image, alpha: 0.4)
      #expect(drawn == expected)

      let inputSize = folder.path("\(command)-input.png")
      let npyInput = folder.path("\(command)-input.npy")
      let small = try kerasvis([
        command, sampleModel, photo.path, "--out", inputSize, "--npy", npyInput, "--overlay-size", "input",
      ])
      #expect(small.status == 0, "\(small.error)")
      #expect(try readBytes(npyInput) == (try readBytes(npy)), "--npy does not depend on the picture's size")
      let modelSize = try picture(inputSize)
      #expect(modelSize.width == 64 && modelSize.height == 64)
      let loaded = try loadImage(atPath: photo.path, targetSize: TargetSize(height: 64, width: 64)).image
      #expect(modelSize == (try camOverlay(heatmap: map.scalars, heatmapWidth: 64, on: loaded)))
    }
  }

  @Test("--heatmap-only and --colormap: the colored map alone, at the photo's size")
  func heatmapOnlyAndColormaps() throws {
    let folder = try ScratchFolder("photo")
    defer { folder.cleanUp() }
    let photo = try largePhoto(in: folder)
    let npy = folder.path("cam.npy")
    for colormap in ["jet", "turbo", "viridis", "inferno", "magma", "gray"] {
      let out = folder.path("\(colormap).png")
      let result = try kerasvis([
        "cam", sampleModel, photo.path, "--heatmap-only", "--colormap", colormap, "--out", out, "--npy", npy,
      ])
      #expect(result.status == 0, "\(result.error)")
      let map = try NPY.read(path: npy)
      let expected = try coloredHeatmap(
        map.scalars, heatmapWidth: 64, width: 160, height: 120, colormap: try #require(Colormap(rawValue: colormap)))
      #expect(try picture(out) == expected, "\(colormap)")
    }
    let input = folder.path("input.png")
    let small = try kerasvis([
      "cam", sampleModel, photo.path, "--heatmap-only", "--overlay-size", "input", "--out", input,
    ])
    #expect(small.status == 0, "\(small.error)")
    #expect(try picture(input).width == 64)
  }

  @Test("--zoom draws the picture N times larger: the enlarged photo under the map, or the map alone")
  func zoom() throws {
    let folder = try ScratchFolder("zoom")
    defer { folder.cleanUp() }
    let plain = folder.path("plain.png")
    let zoomed = folder.path("zoomed.png")
    #expect(try kerasvis(["cam", sampleModel, sampleImage, "--out", plain]).status == 0)
    let result = try kerasvis(["cam", sampleModel, sampleImage, "--out", zoomed, "--zoom", "4"])
    #expect(result.status == 0, "\(result.error)")
    let (small, large) = (try picture(plain), try picture(zoomed))
    #expect(small.width == 64 && large.width == 256 && large.height == 256)
    // The same overlay, drawn larger: each 4x4 block of the large picture averages close to its small pixel
    // (bicubic enlargement and a bilinear map at 256x256 instead of 64x64 differ a little at edges).
    var total = 0.0
    for y in 0..<64 {
      for x in 0..<64 {
        for c in 0..<3 {
          var sum = 0
          for dy in 0..<4 { for dx in 0..<4 { sum += Int(large.pixels[((y * 4 + dy) * 256 + x * 4 + dx) * 3 + c]) } }
          total += abs(Double(sum) / 16 - Double(small.pixels[(y * 64 + x) * 3 + c]))
        }
      }
    }
    #expect(total / Double(64 * 64 * 3) < 6, "mean difference per channel")
    let npyMap = folder.path("map.png")
    let array = try kerasvis([
      "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--out", npyMap, "--zoom", "3",
    ])
    #expect(array.status == 0, "\(array.error)")
    #expect(try picture(npyMap).width == 84)
    expectUsageError(["cam", sampleModel, sampleImage, "--out", zoomed, "--zoom", "17"], mentioning: "--zoom")
  }

  @Test("a 3-D model's volume map is drawn as its depth slices side by side; a 1-D map as a strip")
  func volumesAndSequences() throws {
    let folder = try ScratchFolder("volume")
    defer { folder.cleanUp() }
    for name in ["conv3d_zoo_k2", "conv1d_zoo_k2"] {
      let out = folder.path("\(name).png")
      let npy = folder.path("\(name).npy")
      let result = try kerasvis([
        "cam", fixturePath("\(name).h5"), fixturePath("\(name).input.npy"), "--out", out, "--npy", npy,
      ])
      #expect(result.status == 0, "\(result.error)")
      let map = try NPY.read(path: npy)
      let first = map.rank == 4 || (name.hasPrefix("conv1d") && map.rank == 2) ? try map.sample(0) : map
      let drawn = try picture(out)
      if name.hasPrefix("conv3d") {
        let shape = Array(first.shape.suffix(3))
        #expect(
          drawn.width == shape[0] * shape[2] && drawn.height == shape[1], "\(shape) -> \(drawn.width)x\(drawn.height)")
        // Slice d of the montage is slice d of the volume: the brightest column block is the brightest slice.
        let montage = try ExplanationPicture.volumeMontage(try first.reshaped(shape))
        let values = first.scalars
        let sliceSize = shape[1] * shape[2]
        for d in 0..<shape[0] {
          for y in 0..<shape[1] {
            for x in 0..<shape[2] {
              #expect(
                montage.scalars[y * shape[0] * shape[2] + d * shape[2] + x] == values[d * sliceSize + y * shape[2] + x])
            }
          }
        }
      } else {
        #expect(drawn.height == 1 && drawn.width == first.shape.last)
      }
    }
  }

  @Test("a .npy input has no photo: the picture stays at the input's size")
  func arrayInput() throws {
    let folder = try ScratchFolder("photo")
    defer { folder.cleanUp() }
    let out = folder.path("cam.png")
    let result = try kerasvis([
      "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--filter", "4", "--out", out,
    ])
    #expect(result.status == 0, "\(result.error)")
    let drawn = try picture(out)
    #expect(drawn.width == 28 && drawn.height == 28)
  }

  @Test("--annotate: a title strip (class, name, score, method, layer) above the photo and a colour bar")
  func annotate() throws {
    let folder = try ScratchFolder("photo")
    defer { folder.cleanUp() }
    let photo = try largePhoto(in: folder)
    let labels = folder.path("shapes.txt")
    try Data("circle\nsquare\ntriangle\n".utf8).write(to: URL(fileURLWithPath: labels))
    let plain = folder.path("plain.png")
    let titled = folder.path("titled.png")
    #expect(try kerasvis(["cam", sampleModel, photo.path, "--out", plain]).status == 0)
    let result = try kerasvis(["cam", sampleModel, photo.path, "--out", titled, "--annotate", "--labels", labels])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.error.contains("explaining class 2 triangle (the top class)"))
    let overlay = try picture(plain)
    let annotated = try picture(titled)
    let strip = annotated.height - overlay.height
    #expect(strip > 2 * BitmapFont.glyphHeight, "taller than the photo by the title strip")
    #expect(annotated.width > overlay.width, "the colour bar is beside the photo")
    // The photo's overlay, unchanged, below the strip.
    for y in 0..<overlay.height {
      for x in stride(from: 0, to: overlay.width, by: 7) {
        for c in 0..<3 where annotated[x: x, y: strip + y, channel: c] != overlay[x: x, y: y, channel: c] {
          Issue.record("pixel (\(x), \(y)) differs from the overlay")
          return
        }
      }
    }
    // The strip is paper and ink, the bar beside the photo the colormap: neither is the photo.
    var inked = 0
    for y in 0..<strip {
      for x in 0..<annotated.width {
        let pixel = (0..<3).map { annotated[x: x, y: y, channel: $0] }
        #expect(pixel == [255, 255, 255] || pixel == [0, 0, 0])
        if pixel == [0, 0, 0] { inked += 1 }
      }
    }
    #expect(inked > 200)
    let layout = AnnotationLayout(pictureWidth: 160, pictureHeight: 120, title: [])
    let middle = layout.barX + layout.barWidth / 2
    for row in [2, 30, 60, 90, 117] {
      let value = Float(1 - Double(row) / 119)
      let color = Colormap.jet.color(for: value)
      let pixel = (0..<3).map { annotated[x: middle, y: strip + row, channel: $0] }
      #expect(pixel == [color.red, color.green, color.blue], "the bar at \(value)")
    }
    // The title, as the library composes it (class, name, score; method and layer).
    let title = ExplanationPicture.title(
      classes: [(2, 0.5)], labels: try ClassLabels.load(path: labels), method: "Grad-CAM", layer: "last_conv")
    #expect(title == ["class 2 triangle 0.500", "Grad-CAM, layer last_conv"])
    #expect(strip == AnnotationLayout(pictureWidth: 160, pictureHeight: 120, title: title).stripHeight)
  }

  @Test("an ImageNet model's annotated picture and the --method path name the class")
  func imageNetAnnotation() throws {
    let folder = try ScratchFolder("photo")
    defer { folder.cleanUp() }
    let out = folder.path("cam.png")
    let result = try kerasvis([
      "cam", fixturePath("mobilenet_tiny_imagenet.h5"), sampleImage, "--method", "gradcam", "--annotate", "--out", out,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.error.contains("explaining class 281 tabby (the top class)"))
    let drawn = try picture(out)
    #expect(drawn.height > 64 && drawn.width > 64)
    let title = ExplanationPicture.title(
      classes: [(281, nil), (282, 0.25)], labels: .imageNet, method: "gradcam", layer: nil)
    #expect(title == ["classes 281 tabby + 282 tiger_cat 0.250", "gradcam"])
  }

  @Test("the options' defaults and usage errors")
  func parsing() throws {
    let cam = try parseCommand(CamCommand.self, ["cam", sampleModel, sampleImage, "--out", "x.png"])
    #expect(cam.explanation.overlaySize == .photo && cam.explanation.colormap == .jet && !cam.explanation.annotate)
    #expect(cam.explanation.style == HeatmapStyle())
    let saliency = try parseCommand(
      SaliencyCommand.self,
      [
        "saliency", sampleModel, sampleImage, "--out", "x.png", "--overlay-size", "input", "--colormap", "magma",
        "--annotate", "--labels", "l.txt",
      ])
    #expect(saliency.explanation.style == HeatmapStyle(colormap: .magma, size: .input))
    #expect(saliency.explanation.annotate && saliency.explanation.labels.labels == "l.txt")
    let predict = try parseCommand(PredictCommand.self, ["predict", sampleModel, sampleImage, "--labels", "l.txt"])
    #expect(predict.labels.labels == "l.txt")
    expectUsageError(
      ["cam", sampleModel, sampleImage, "--out", "x.png", "--colormap", "rainbow"], mentioning: "--colormap")
    expectUsageError(
      ["cam", sampleModel, sampleImage, "--out", "x.png", "--overlay-size", "big"], mentioning: "--overlay-size")
    expectUsageError(["saliency", sampleModel, sampleImage, "--annotate"], mentioning: "--annotate", "--out")
  }
}
