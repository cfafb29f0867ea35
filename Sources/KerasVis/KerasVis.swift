// The umbrella module: `import KerasVis` gives every public module of the package.
@_exported import Imaging
@_exported import KerasExplain
@_exported import KerasGraph
@_exported import KerasReaders
@_exported import KerasRuntime
@_exported import NativeFormat

/// The version of the kerasvis package.
public enum KerasVisVersion {
  /// The release version (`kerasvis --version`).
  public static let current = "0.6.0"
}
