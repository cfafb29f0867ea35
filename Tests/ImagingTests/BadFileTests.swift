import Foundation
import TestSupport
import Testing

@testable import Imaging

/// Every malformed input gives a typed error naming the file, never a crash (libpng/libjpeg longjmp stays in C).
@Suite("Bad files")
struct BadFileTests {
  func decodeError(_ name: String, limits: DecodingLimits = .default) -> ImagingError? {
    do {
      _ = try DecodedImage(contentsOfFile: fixturePath(name, in: .images), limits: limits)
      return nil
    } catch let error as ImagingError {
      return error
    } catch {
      return nil
    }
  }

  @Test func truncatedPNG() throws {
    let error = try #require(decodeError("truncated.png"))
    guard case .truncated(let source, .png, _) = error else { Issue.record("got \(error)"); return }
    #expect(source.hasSuffix("truncated.png"))
    #expect(error.description.contains("truncated.png"))
    guard case .truncated(_, .png, _) = try #require(decodeError("truncated_header.png")) else {
      Issue.record("truncated header not reported as truncated")
      return
    }
  }

  @Test func truncatedJPEG() throws {
    for name in ["truncated.jpg", "truncated_header.jpg"] {
      let error = try #require(decodeError(name))
      guard case .truncated(let source, .jpeg, _) = error else { Issue.record("\(name): got \(error)"); continue }
      #expect(source.hasSuffix(name))
    }
  }

  @Test func corruptPNGHeaderAndData() throws {
    for name in ["corrupt_header_crc.png", "corrupt_header_zero_width.png", "corrupt_data.png"] {
      let error = try #require(decodeError(name))
      guard case .corrupt(let source, .png, let detail) = error else { Issue.record("\(name): got \(error)"); continue }
      #expect(source.hasSuffix(name))
      #expect(!detail.isEmpty)
    }
  }

  @Test func corruptJPEGHeader() throws {
    let error = try #require(decodeError("corrupt_header.jpg"))
    guard case .corrupt(_, .jpeg, let detail) = error else { Issue.record("got \(error)"); return }
    #expect(!detail.isEmpty)
  }

  @Test func cmykJPEGIsRejected() throws {
    let error = try #require(decodeError("cmyk.jpg"))
    guard case .unsupportedColorSpace(let source, let detail) = error else { Issue.record("got \(error)"); return }
    #expect(source.hasSuffix("cmyk.jpg"))
    #expect(detail.contains("CMYK") || detail.contains("YCCK"))
  }

  @Test func unknownAndEmptyData() throws {
    for name in ["not_an_image.bin", "empty.png"] {
      let error = try #require(decodeError(name))
      #expect(error == .unrecognizedFormat(source: fixturePath(name, in: .images)))
    }
    #expect(throws: ImagingError.unrecognizedFormat(source: "<memory>")) { try DecodedImage(bytes: [0x89, 0x50]) }
  }

  @Test func missingFile() throws {
    let error = try #require(decodeError("does_not_exist.png"))
    guard case .unreadableFile(let path, _) = error else { Issue.record("got \(error)"); return }
    #expect(path.hasSuffix("does_not_exist.png"))
  }

  @Test func pixelLimitIsCheckedBeforeAllocating() throws {
    // 100000 x 100000 RGB would need 30 GB; the header alone must be enough to refuse it.
    let error = try #require(decodeError("huge_dimensions.png"))
    #expect(
      error
        == .imageTooLarge(
          source: fixturePath("huge_dimensions.png", in: .images), width: 100_000, height: 100_000, channels: 3,
          limit: 100_000_000))
    // A settable limit applies to ordinary files too.
    let small = try #require(decodeError("rgb8.png", limits: DecodingLimits(maxPixels: 100)))
    guard case .imageTooLarge(_, 23, 17, 3, 100) = small else { Issue.record("got \(small)"); return }
    let jpeg = try #require(decodeError("rgb_baseline.jpg", limits: DecodingLimits(maxPixels: 100)))
    guard case .imageTooLarge = jpeg else { Issue.record("got \(jpeg)"); return }
  }

  @Test func everyPrefixOfAGoodFileFailsCleanly() throws {
    // Cut PNG and JPEG data at many lengths: each must decode or throw an ImagingError, never crash.
    for name in ["rgb8_interlaced.png", "rgb_progressive.jpg"] {
      let bytes = [UInt8](try Data(contentsOf: FixtureFolder.images.url(name)))
      for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)) {
        do {
          _ = try DecodedImage(bytes: Array(bytes[0..<length]), source: name)
          Issue.record("\(name) cut at \(length) decoded")
        } catch is ImagingError {
        }
      }
    }
  }
}
