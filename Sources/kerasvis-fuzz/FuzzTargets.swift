import Foundation
import ImageIO
import KerasModel

/// Fuzz targets for the parsers that read untrusted bytes. Built normally, this is a replay driver
/// (`kerasvis-fuzz TARGET FILE...` runs files through a target); built with `-sanitize=fuzzer` and
/// `-D FUZZING`, libFuzzer drives the target named by `KERASVIS_FUZZ_TARGET` (see `tools/fuzz`).
enum FuzzTarget: String, CaseIterable {
  /// Keras model configs (`model.to_json()`): JSON parsing, config decoding, graph building, shape inference.
  case config
  /// PNG and JPEG decoding.
  case image

  /// Runs the target on one input. Every outcome but a crash is fine: errors are the expected answer to junk.
  func run(_ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Data(buffer: bytes)
    switch self {
    case .config:
      _ = try? KerasModelFile.architecture(fromConfigJSON: data, source: "fuzz")
    case .image:
      _ = try? DecodedImage(data: data, source: "fuzz", limits: DecodingLimits(maxPixels: 1 << 22))
    }
  }
}

#if FUZZING
  private let selectedTarget = FuzzTarget(
    rawValue: ProcessInfo.processInfo.environment["KERASVIS_FUZZ_TARGET"] ?? "") ?? .config

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    selectedTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
  }

  /// libFuzzer's entry point for programs that have their own main.
  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
  ) -> CInt

  /// SwiftPM links an executable's entry point under this name.
  @_cdecl("kerasvis_fuzz_main")
  public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var vector: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runFuzzerDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
  }
#else
  @main
  struct ReplayDriver {
    static func main() {
      let arguments = CommandLine.arguments.dropFirst()
      guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: kerasvis-fuzz \(names) FILE...\n".utf8))
        exit(64)
      }
      for path in arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else { continue }
        data.withUnsafeBytes { raw in target.run(raw.bindMemory(to: UInt8.self)) }
      }
    }
  }
#endif
