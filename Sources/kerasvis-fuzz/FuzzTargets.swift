import Foundation
import KerasVis

/// Fuzz targets for the parsers that read untrusted bytes. Built normally, this is a replay driver
/// (`kerasvis-fuzz TARGET FILE...` runs files through a target); built with `-sanitize=fuzzer` and
/// `-D FUZZING`, libFuzzer drives the target named by `KERASVIS_FUZZ_TARGET` (see `tools/fuzz`).
enum FuzzTarget: String, CaseIterable {
  /// Keras model configs (`model.to_json()`): JSON parsing, config decoding, graph building, shape inference.
  case config
  /// PNG and JPEG decoding.
  case image
  /// Native (safetensors) files: the header, the graph description, tensor bounds (through a file, as loading
  /// maps files).
  case native

  /// Runs the target on one input. Every outcome but a crash is fine: errors are the expected answer to junk.
  func run(_ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Data(buffer: bytes)
    switch self {
    case .config:
      _ = try? KerasModelFile.architecture(fromConfigJSON: data, source: "fuzz")
    case .image:
      _ = try? DecodedImage(data: data, source: "fuzz", limits: DecodingLimits(maxPixels: 1 << 22))
    case .native:
      let path = FuzzTarget.scratchFile
      guard FileManager.default.createFile(atPath: path, contents: data) else { return }
      _ = try? NativeModelFile.load(path: path)
    }
  }

  /// A per-process scratch file (in memory where /dev/shm exists).
  static let scratchFile: String = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return (folder as NSString).appendingPathComponent("kerasvis-fuzz-\(getpid()).safetensors")
  }()

  /// Removes the scratch file.
  static func cleanUp() {
    try? FileManager.default.removeItem(atPath: scratchFile)
  }
}

#if FUZZING
  private let selectedTarget =
    FuzzTarget(
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
      FuzzTarget.cleanUp()
    }
  }
#endif
