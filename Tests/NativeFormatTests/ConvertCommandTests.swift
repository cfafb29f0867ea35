import Foundation
import KerasVis
import TestSupport
import Testing

/// A C compiler, for building the libhdf5 trap below: `cc` on PATH or the clang next to `swift`.
private func compiler() -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
  let candidates = path.split(separator: ":").flatMap { ["\($0)/cc", "\($0)/clang"] } + ["/opt/swift/usr/bin/clang"]
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// `tools/check_native.py`.
private let checkNative = Fixtures.repository.appendingPathComponent("tools/check_native.py").path

/// Whether `python3` has what `tools/check_native.py` needs (safetensors, h5py, NumPy); CI may not.
private func pythonCanCheck() -> Bool {
  let probe = try? run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import safetensors, h5py, numpy"])
  return probe?.status == 0
}

@Suite("kerasvis convert and native files on the command line")
struct ConvertCommandTests {
  @Test("every command that takes MODEL gives the same output for the native file as for the .h5")
  func sameOutputs() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let source = fixturePath("inception_v3_narrow.h5")
    let native = scratch.path("inception.safetensors")
    let conversion = try kerasvis(["convert", source, native])
    #expect(conversion.status == 0, "\(conversion.error)")
    #expect(conversion.output.contains("313 layers"))
    #expect(NativeModelFile.isNativeFile(path: native))
    for arguments in [["summary", "--json", "--nested"], ["summary"]] {
      let fromH5 = try kerasvis([arguments[0], source] + arguments.dropFirst())
      let fromNative = try kerasvis([arguments[0], native] + arguments.dropFirst())
      #expect(fromH5.status == 0 && fromNative.status == 0)
      #expect(fromNative.output == fromH5.output, "\(arguments)")
    }
    let input = fixturePath("inception_v3_narrow.input.npy")
    let h5Output = scratch.path("h5.npy")
    let nativeOutput = scratch.path("native.npy")
    #expect(try kerasvis(["predict", source, input, "--npy", h5Output]).status == 0)
    #expect(try kerasvis(["predict", native, input, "--npy", nativeOutput]).status == 0)
    #expect(try readBytes(h5Output) == readBytes(nativeOutput))
    let layerH5 = try kerasvis(["predict", source, input, "--layer", "mixed2", "--json"])
    let layerNative = try kerasvis(["predict", native, input, "--layer", "mixed2", "--json"])
    #expect(layerH5.status == 0 && layerNative.output == layerH5.output)
    let bench = try kerasvis(["bench", native, "--load-only", "--runs", "3", "--warmup", "1"])
    #expect(bench.status == 0, "\(bench.error)")
    let report = try JSONValue.parse(Data(bench.output.utf8))
    #expect((report["median_ms"]?.number ?? -1) > 0)
    #expect(report["model"]?.string == "inception_v3")
  }

  @Test("weights-only .h5 with --topology converts; the native file needs no topology")
  func weightsOnly() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let native = scratch.path("w.safetensors")
    let topology = fixturePath("weights_only.json")
    #expect(
      try kerasvis(["convert", fixturePath("weights_only.weights.h5"), native, "--topology", topology]).status == 0)
    let input = fixturePath("weights_only.input.npy")
    let fromH5 = try kerasvis([
      "predict", fixturePath("weights_only.weights.h5"), "--topology", topology, input, "--json",
    ])
    let fromNative = try kerasvis(["predict", native, input, "--json"])
    #expect(fromH5.status == 0 && fromNative.output == fromH5.output)
    let refused = try kerasvis(["summary", native, "--topology", topology])
    #expect(refused.status == 1)
    #expect(refused.error.contains(native))
  }

  @Test("--dtype float16 stores F16 tensors")
  func float16() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let native = scratch.path("half.safetensors")
    #expect(try kerasvis(["convert", fixturePath("sequential_cnn.h5"), native, "--dtype", "float16"]).status == 0)
    let header = try NativeModelFile.header(path: native)
    #expect(!header.tensors.isEmpty && header.tensors.allSatisfy { $0.dtype == .float16 })
    #expect(try kerasvis(["convert", fixturePath("sequential_cnn.h5"), native, "--dtype", "float8"]).status == 64)
  }

  @Test("convert refuses to overwrite its own input, also through a link")
  func refusesOwnInput() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let copy = scratch.path("model.h5")
    try FileManager.default.copyItem(atPath: fixturePath("sequential_cnn.h5"), toPath: copy)
    let link = scratch.path("link.h5")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: copy)
    let original = try readBytes(copy)
    for output in [copy, link, scratch.url.appendingPathComponent("./model.h5").path] {
      let result = try kerasvis(["convert", copy, output])
      #expect(result.status == 1)
      #expect(result.error.contains("one of the inputs"), "\(result.error)")
    }
    let topology = scratch.path("topology.json")
    try FileManager.default.copyItem(atPath: fixturePath("weights_only.json"), toPath: topology)
    let onTopology = try kerasvis(["convert", fixturePath("weights_only.weights.h5"), topology, "--topology", topology])
    #expect(onTopology.status == 1)
    #expect(try readBytes(copy) == original)
    #expect(try readBytes(topology) == readBytes(fixturePath("weights_only.json")))
  }

  @Test("a failed conversion leaves no file and no temporary file, and keeps an existing output as it was")
  func failedConversion() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let output = scratch.path("out.safetensors")
    let lambda = try kerasvis(["convert", fixturePath("lambda_layer.h5"), output])
    #expect(lambda.status == 1)
    #expect(scratch.contents().isEmpty, "\(scratch.contents())")
    try write(Array("previous".utf8), to: output)
    let missing = try kerasvis(["convert", scratch.path("missing.h5"), output])
    #expect(missing.status == 1)
    #expect(try readBytes(output) == Array("previous".utf8))
    #expect(scratch.contents() == ["out.safetensors"])
    let noFolder = try kerasvis([
      "convert", fixturePath("sequential_cnn.h5"), scratch.path("no/such/folder/out.safetensors"),
    ])
    #expect(noFolder.status == 1)
    #expect(noFolder.error.contains("no/such/folder/out.safetensors"))
  }

  @Test("an interrupted conversion (SIGINT, SIGTERM) leaves either the complete file or nothing")
  func interrupted() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let source = fixturePath("inception_v3_narrow.h5")
    let reference = scratch.path("reference.safetensors")
    #expect(try kerasvis(["convert", source, reference]).status == 0)
    let expected = try readBytes(reference)
    var outcomes: [String] = []
    // Signals at fixed delays, one once the output exists (the conversion finished, however loaded the machine
    // is), then signals sent as soon as the temporary file appears (mid-write).
    enum Moment { case after(useconds_t), whenComplete, midWrite }
    let plan: [(signal: Int32, moment: Moment)] =
      [(SIGINT, .after(0)), (SIGTERM, .after(20_000)), (SIGINT, .after(60_000)), (SIGTERM, .whenComplete)]
      + [SIGINT, SIGTERM, SIGINT, SIGTERM, SIGINT, SIGTERM].map { ($0, .midWrite) }
    for (attempt, step) in plan.enumerated() {
      let output = scratch.path("out\(attempt).safetensors")
      let partial = NativeModelFile.temporaryPath(for: output)
      let process = try startKerasvis(["convert", source, output])
      switch step.moment {
      case .after(let delay):
        usleep(delay)
      case .whenComplete:
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: output), process.isRunning, Date() < deadline { usleep(1000) }
      case .midWrite:
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: partial), process.isRunning, Date() < deadline { usleep(100) }
      }
      kill(process.processIdentifier, step.signal)
      let result = finish(process)
      let leftovers = scratch.contents().filter { $0.hasSuffix(".kerasvis-partial") }
      #expect(leftovers.isEmpty, "attempt \(attempt): \(leftovers)")
      if FileManager.default.fileExists(atPath: output) {
        #expect(try readBytes(output) == expected, "attempt \(attempt): the output is incomplete")
        outcomes.append("complete")
      } else {
        #expect(result.status != 0 || result.signaled)
        // 128 + signal: the handler removed the temporary file and exited.
        outcomes.append(result.status == 128 + step.signal ? "removed by the handler" : "killed before writing")
      }
    }
    #expect(outcomes.contains("removed by the handler"), "\(outcomes)")
    #expect(outcomes.contains("complete"), "\(outcomes)")
    print("interrupted conversions: \(outcomes)")
  }

  @Test("loading a native file never calls libhdf5 (H5open aborts the process when interposed)")
  func noHDF5() throws {
    // LD_PRELOAD cannot come before AddressSanitizer's runtime: under ASan (tools/test's second run) the trap
    // cannot be installed, so the test needs a normal build.
    guard dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") == nil else { return }
    guard let cc = compiler() else {
      Issue.record("no C compiler to build the H5open trap")
      return
    }
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let source = scratch.path("trap.c")
    try "#include <stdio.h>\n#include <stdlib.h>\nint H5open(void) { fputs(\"H5open called\\n\", stderr); abort(); }\n"
      .write(toFile: source, atomically: true, encoding: .utf8)
    let library = scratch.path("libtrap.so")
    let built = try run(URL(fileURLWithPath: cc), ["-shared", "-fPIC", "-o", library, source])
    try #require(built.status == 0, "\(built.error)")
    let native = scratch.path("model.safetensors")
    #expect(try kerasvis(["convert", fixturePath("inception_v3_narrow.h5"), native]).status == 0)
    let trap = ["LD_PRELOAD": library]
    let input = fixturePath("inception_v3_narrow.input.npy")
    // The trap works: opening the .h5 calls H5open and aborts.
    let control = try kerasvis(["summary", fixturePath("inception_v3_narrow.h5")], environment: trap)
    #expect(control.status != 0 && control.error.contains("H5open called"))
    for arguments in [
      ["summary", native], ["predict", native, input], ["bench", native, "--load-only", "--runs", "2"],
    ] {
      let result = try kerasvis(arguments, environment: trap)
      #expect(result.status == 0, "\(arguments[0]): \(result.error)")
      #expect(!result.error.contains("H5open"))
    }
  }

  @Test(
    "tools/check_native.py (safetensors and h5py) finds every tensor equal to the .h5, and reports a changed byte",
    .enabled(if: pythonCanCheck(), "needs python3 with safetensors, h5py and numpy"))
  func pythonCheck() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let env = URL(fileURLWithPath: "/usr/bin/env")
    for (file, dtype) in [
      ("nested_mobilenet.h5", "float32"), ("layer_zoo_k2.h5", "float16"), ("long_names.h5", "bfloat16"),
    ] {
      let native = scratch.path("\(file).\(dtype).safetensors")
      #expect(try kerasvis(["convert", fixturePath(file), native, "--dtype", dtype]).status == 0)
      let check = try run(env, ["python3", checkNative, native, fixturePath(file)])
      #expect(check.status == 0, "\(file) \(dtype): \(check.output) \(check.error)")
      #expect(check.output.contains("all equal"))
    }
    // Change one byte of one weight: the check must fail and name the tensor.
    let native = scratch.path("nested_mobilenet.h5.float32.safetensors")
    var file = try readBytes(native)
    let header = try NativeModelFile.header(path: native)
    let tensor = try #require(header.tensors.first { $0.name.hasSuffix("block_3_project/kernel") })
    file[header.dataStart + tensor.dataOffsets.lowerBound + 5] ^= 1
    try write(file, to: native)
    let check = try run(env, ["python3", checkNative, native, fixturePath("nested_mobilenet.h5")])
    #expect(check.status == 1)
    #expect(check.output.contains("MISMATCH \(tensor.name)"))
  }
}
