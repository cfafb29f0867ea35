import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis convert MODEL OUT`: writes the model as a native file (safetensors with the graph in its metadata),
/// which loads in milliseconds without libhdf5.
struct ConvertCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a model to kerasvis's native format (safetensors weights, graph in the metadata).",
    discussion: """
      The output is written to a temporary file next to OUT and renamed into place when complete, so an \
      interrupted conversion leaves no partial file. With --dtype float32 (the default) the native file gives the \
      same results as MODEL bit for bit; float16 halves the size and changes results slightly.
      """)

  @OptionGroup var model: ModelOptions

  @Argument(help: "The native file to write (conventionally *.safetensors).")
  var output: String

  @Option(help: "How to store the weights: float32, float16 or bfloat16.")
  var dtype: StorageType = .float32

  @Flag(help: "Leave out each layer's Keras config (Layer.config); kerasvis does not need it to run the model.")
  var dropKerasConfig = false

  /// The `--dtype` values.
  enum StorageType: String, ExpressibleByArgument, CaseIterable {
    case float32, float16, bfloat16

    var nativeType: NativeDType {
      switch self {
      case .float32: return .float32
      case .float16: return .float16
      case .bfloat16: return .bfloat16
      }
    }
  }

  func execute() throws {
    let start = Date()
    let graph: Graph
    let cleanup = InterruptCleanup(removing: NativeModelFile.temporaryPath(for: output))
    defer { cleanup.disarm() }
    graph = try ModelLoader.convert(
      from: model.model, topologyPath: model.topology, to: output,
      options: NativeWriteOptions(dtype: dtype.nativeType, includesKerasConfig: !dropKerasConfig))
    let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
    let seconds = Date().timeIntervalSince(start)
    print(
      String(
        format: "%@: %@ (%d layers, %d parameters, %@), %.1f MB in %.2f s", output, graph.name, graph.layers.count,
        graph.parameterCount, dtype.nativeType.rawValue, Double(size) / 1e6, seconds))
  }
}

/// The temporary file to delete when SIGINT or SIGTERM arrives during a conversion (a C string, read by the
/// signal handler).
nonisolated(unsafe) private var pendingTemporaryFile: UnsafeMutablePointer<CChar>?

/// Removes a conversion's temporary file if the process is interrupted, then exits as the signal would.
private struct InterruptCleanup {
  private var previousMask = sigset_t()

  init(removing path: String) {
    pendingTemporaryFile = strdup(path)
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber) { received in
        if let path = pendingTemporaryFile { unlink(path) }
        _exit(128 + received)
      }
    }
    // A parent may have left the signals blocked (Foundation's Process passes its thread's mask on); unblock them
    // so that an interruption is handled now rather than discarded at exit.
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, &previousMask)
  }

  /// Restores the default signal handling and the previous signal mask.
  func disarm() {
    var mask = previousMask
    pthread_sigmask(SIG_SETMASK, &mask, nil)
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    let path = pendingTemporaryFile
    pendingTemporaryFile = nil
    free(path)
  }
}
