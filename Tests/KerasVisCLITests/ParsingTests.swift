import KerasVis
import TestSupport
import Testing

@testable import KerasVisCLI

private let model = fixturePath("sequential_cnn.h5")
private let input = fixturePath("sequential_cnn.input.npy")

/// Each subcommand's options as `kerasvis` parses and validates them, in this process (nothing is loaded or run:
/// the files need not even be read). The executable's exit codes are tested by running it.
@Suite("kerasvis options, parsed in process")
struct ParsingTests {
  @Test("summary: --topology, --json, --nested, --cam-layers with --layer; a model is required")
  func summary() throws {
    let plain = try parseCommand(SummaryCommand.self, ["summary", model])
    #expect(plain.model == model && plain.topology == nil)
    #expect(!plain.json && !plain.nested && !plain.camLayers && plain.layer == "-1")
    let all = try parseCommand(
      SummaryCommand.self,
      ["summary", model, "--topology", "t.json", "--json", "--nested", "--cam-layers", "--layer", "-2"])
    #expect(all.topology == "t.json" && all.json && all.nested && all.camLayers && all.layer == "-2")
    expectUsageError(["summary"], mentioning: "<model>")
    expectUsageError(["summary", model, "--no-such-flag"], mentioning: "--no-such-flag")
  }

  @Test("predict: inputs, --top, --npy, --layer, --json, --preprocess, --size, --precision")
  func predict() throws {
    let plain = try parseCommand(PredictCommand.self, ["predict", model, input])
    #expect(plain.model.model == model && plain.inputs == [input])
    #expect(plain.top == 5 && plain.npy == nil && plain.layer == nil && !plain.json)
    #expect(plain.images.preprocess == nil && plain.arithmetic.precision == .float32)
    let all = try parseCommand(
      PredictCommand.self,
      [
        "predict", model, input, "picture.png", "--top", "3", "--npy", "out.npy", "--layer", "conv2d", "--json",
        "--preprocess", "caffe", "--size", "64x48", "--precision", "bfloat16",
      ])
    #expect(all.inputs == [input, "picture.png"] && all.top == 3 && all.npy == "out.npy" && all.layer == "conv2d")
    #expect(all.json && all.images.preprocess == .caffe && all.arithmetic.precision == .bfloat16)
    #expect(try all.images.targetSize() == TargetSize(height: 64, width: 48))
    expectUsageError(["predict", model], mentioning: "<inputs>")
    expectUsageError(["predict", model, input, "--top", "0"], mentioning: "--top must be positive")
    expectUsageError(["predict", model, input, "--precision", "float64"], mentioning: "float64")
  }

  @Test("cam: --layer, several --filter, --penultimate, outputs, and the --method settings with their defaults")
  func cam() throws {
    let plain = try parseCommand(CamCommand.self, ["cam", model, input])
    #expect(plain.explanation.layer == "-1" && plain.explanation.filters.isEmpty && plain.penultimate.isEmpty)
    #expect(plain.explanation.alpha == 0.5 && !plain.explanation.heatmapOnly && plain.method == nil)
    #expect(
      plain.camMethod.convention == .pytorchGradCAM && plain.target.batchSize == 32 && plain.camMethod.maxN == nil)
    let keras = try parseCommand(
      CamCommand.self,
      [
        "cam", model, input, "--layer=-1", "--filter", "3", "7", "--penultimate", "conv2d_1", "--npy", "map.npy",
        "--out", "map.png", "--alpha", "0.3", "--heatmap-only", "--backprop-modifier", "guided", "--linear",
      ])
    #expect(
      keras.explanation.layer == "-1" && keras.explanation.filters == [3, 7] && keras.penultimate == ["conv2d_1"])
    #expect(keras.explanation.npy == "map.npy" && keras.explanation.out == "map.png")
    #expect(keras.explanation.alpha == 0.3 && keras.explanation.heatmapOnly && keras.explanation.linear)
    #expect(keras.explanation.backpropModifier == .guided)
    let method = try parseCommand(
      CamCommand.self,
      [
        "cam", model, input, "--method", "scorecam", "--convention", "tf-keras-vis", "--max-n", "10", "--score",
        "logit", "--eigen-smooth", "--aug-smooth", "--batch-size", "8", "--binary", "negative",
      ])
    #expect(method.method == .scorecam)
    #expect(method.camMethod.convention == .tfKerasVis && method.camMethod.maxN == 10 && method.target.score == .logit)
    #expect(method.camMethod.eigenSmooth && method.camMethod.augSmooth && method.target.batchSize == 8)
    #expect(method.target.binary == .negative)
    expectUsageError(["cam", model], mentioning: "give at least one input")
    expectUsageError(["cam", model, input, "--alpha", "2"], mentioning: "--alpha")
    expectUsageError(["cam", model, input, "--method", "gradcam", "--batch-size", "0"], mentioning: "--batch-size")
    expectUsageError(["cam", model, input, "--convention", "keras"], mentioning: "keras")
    expectUsageError(["cam", model, input, "--method", "gradcam3"], mentioning: "gradcam++")
    expectUsageError(["cam", model, input, "--method", "smoothgrad"], mentioning: "smoothgrad")
    expectUsageError(
      ["cam", model, input, "--penultimate", "conv2d", "--penultimate", "conv2d_1"], mentioning: "kerasvis compare")
    expectUsageError(["cam", model, input, "--binary", "positive"], mentioning: "--binary needs --method")
    expectUsageError(["cam", model, input, "--filter", "1", "--classes", "c.csv"], mentioning: "--classes")
    expectUsageError(["cam", model, input, "--shard", "4/4"], mentioning: "0 <= K < N")
    expectUsageError(["cam", model, input, "--grad-modifier", "square"], mentioning: "small_values")
    let shard = try parseCommand(
      CamCommand.self, ["cam", model, input, "--shard", "1/3", "--inputs-from", "list.txt", "--classes", "c.csv"])
    #expect(shard.explanation.shard == "1/3" && shard.explanation.inputsFrom == "list.txt")
    #expect(shard.explanation.classes == "c.csv")
  }

  @Test("saliency: --keepdims, --grad-modifier (its default, none), and the gradient methods' settings")
  func saliency() throws {
    let plain = try parseCommand(SaliencyCommand.self, ["saliency", model, input])
    #expect(!plain.keepdims && plain.method == nil)
    #expect(plain.explanation.gradModifier(default: .absolute) == .absolute)
    let keras = try parseCommand(
      SaliencyCommand.self, ["saliency", model, input, "--keepdims", "--grad-modifier", "relu", "--filter", "2"])
    #expect(keras.keepdims && keras.explanation.filters == [2])
    #expect(keras.explanation.gradModifier(default: .absolute) == .relu)
    let none = try parseCommand(SaliencyCommand.self, ["saliency", model, input, "--grad-modifier", "none"])
    #expect(none.explanation.gradModifier(default: .absolute) == nil)
    let defaults = try parseCommand(SaliencyCommand.self, ["saliency", model, input, "--method", "smoothgrad"])
    #expect(
      defaults.gradientMethod.samples == 20 && defaults.gradientMethod.noiseLevel == 0.2
        && defaults.gradientMethod.seed == 0)
    #expect(
      defaults.gradientMethod.steps == 50 && defaults.gradientMethod.baseline == 0
        && defaults.gradientMethod.rule == .gaussLegendre)
    let method = try parseCommand(
      SaliencyCommand.self,
      [
        "saliency", model, input, "--method", "integrated-gradients", "--samples", "3", "--noise-level", "0.1",
        "--seed", "9", "--steps", "4", "--baseline", "0.5", "--rule", "riemann_trapezoid",
      ])
    #expect(method.method == .integratedGradients)
    #expect(
      method.gradientMethod.samples == 3 && method.gradientMethod.noiseLevel == 0.1 && method.gradientMethod.seed == 9)
    #expect(
      method.gradientMethod.steps == 4 && method.gradientMethod.baseline == 0.5
        && method.gradientMethod.rule == .riemannTrapezoid)
    expectUsageError(["saliency", model, input, "--backprop-modifier", "sideways"], mentioning: "sideways")
    expectUsageError(["saliency", model, input, "--method", "smoothgrad", "--samples", "0"], mentioning: "--samples")
    expectUsageError(
      ["saliency", model, input, "--method", "integrated-gradients", "--steps", "0"], mentioning: "--steps")
  }

  @Test("activation: --layer, --filter, --iterations, --seed, --jitter, --linear and the outputs")
  func activation() throws {
    let plain = try parseCommand(ActivationCommand.self, ["activation", model])
    #expect(plain.layer == "-1" && plain.filters.isEmpty && plain.iterations == 200 && plain.seed == 1337)
    #expect(plain.jitter == 0.05 && !plain.linear && plain.npy == nil && plain.out == nil)
    let all = try parseCommand(
      ActivationCommand.self,
      [
        "activation", model, "--layer", "dense_1", "--filter", "4", "5", "--iterations", "5", "--seed", "7",
        "--jitter", "0", "--linear", "--npy", "a.npy", "--out", "a.png",
      ])
    #expect(all.layer == "dense_1" && all.filters == [4, 5] && all.iterations == 5 && all.seed == 7)
    #expect(all.jitter == 0 && all.linear && all.npy == "a.npy" && all.out == "a.png")
    expectUsageError(["activation", model, "--iterations", "0"], mentioning: "--iterations must be positive")
    expectUsageError(["activation", model, "--jitter=-0.1"], mentioning: "--jitter")
  }

  @Test("layers: several --layer, --max-channels, --tile-scale, --out (required)")
  func layers() throws {
    let plain = try parseCommand(LayersCommand.self, ["layers", model, input, "--layer", "conv2d", "--out", "l.png"])
    #expect(plain.inputs == [input] && plain.layers == ["conv2d"] && plain.out == "l.png")
    #expect(plain.maxChannels == 64 && plain.tileScale == nil)
    let all = try parseCommand(
      LayersCommand.self,
      [
        "layers", model, input, "--layer", "conv2d", "activation", "--max-channels", "4", "--tile-scale", "2",
        "--out", "l.png",
      ])
    #expect(all.layers == ["conv2d", "activation"] && all.maxChannels == 4 && all.tileScale == 2)
    expectUsageError(["layers", model, input, "--layer", "conv2d"], mentioning: "--out")
    expectUsageError(["layers", model, input, "--layer", "conv2d", "--tile-scale", "65", "--out", "l.png"])
    expectUsageError(["layers", model, input, "--layer", "conv2d", "--max-channels", "0", "--out", "l.png"])
  }

  @Test("filters: --layer, --max-filters, --max-channels, --tile-scale; --maximize and the options it takes")
  func filters() throws {
    let plain = try parseCommand(FiltersCommand.self, ["filters", model, "--layer", "conv2d", "--out", "f.png"])
    #expect(plain.layer == "conv2d" && plain.out == "f.png" && !plain.maximize && plain.maxFilters == nil)
    #expect(plain.maxChannels == 4 && plain.iterations == nil && plain.seed == 1337 && plain.tileScale == nil)
    let kernels = try parseCommand(
      FiltersCommand.self,
      [
        "filters", model, "--layer", "conv2d_1", "--max-filters", "5", "--max-channels", "1", "--tile-scale", "40",
        "--out", "f.png",
      ])
    #expect(kernels.maxFilters == 5 && kernels.maxChannels == 1 && kernels.tileScale == 40)
    let maximized = try parseCommand(
      FiltersCommand.self,
      [
        "filters", model, "--layer", "dense_1", "--maximize", "--iterations", "3", "--seed", "2", "--jitter", "0",
        "--tv-weight", "1", "--lp-norm-weight", "2", "--linear", "--out", "f.png",
      ])
    #expect(maximized.maximize && maximized.iterations == 3 && maximized.seed == 2 && maximized.jitter == 0)
    #expect(maximized.tvWeight == 1 && maximized.lpNormWeight == 2 && maximized.linear)
    expectUsageError(["filters", model, "--out", "f.png"], mentioning: "--layer")
    expectUsageError(["filters", model, "--layer", "conv2d", "--linear", "--out", "f.png"], mentioning: "--maximize")
    expectUsageError(["filters", model, "--layer", "conv2d", "--max-filters", "0", "--out", "f.png"])
  }

  @Test("convert: the output, --dtype (float32 by default), --drop-keras-config, --topology")
  func convert() throws {
    let plain = try parseCommand(ConvertCommand.self, ["convert", model, "out.safetensors"])
    #expect(plain.model.model == model && plain.output == "out.safetensors")
    #expect(plain.dtype == .float32 && !plain.dropKerasConfig && plain.model.topology == nil)
    let all = try parseCommand(
      ConvertCommand.self,
      ["convert", model, "out.safetensors", "--dtype", "bfloat16", "--drop-keras-config", "--topology", "t.json"])
    #expect(all.dtype == .bfloat16 && all.dtype.nativeType == .bfloat16 && all.dropKerasConfig)
    #expect(all.model.topology == "t.json")
    expectUsageError(["convert", model], mentioning: "<output>")
    expectUsageError(["convert", model, "out.safetensors", "--dtype", "float8"], mentioning: "float8")
  }

  @Test("bench: --batch, --runs, --warmup, --task, --layer, --penultimate, --filter, --load-only, --precision")
  func bench() throws {
    let plain = try parseCommand(BenchCommand.self, ["bench", model])
    #expect(plain.batch == 1 && plain.runs == 20 && plain.warmup == 3 && plain.task == .forward)
    #expect(plain.layer == "-1" && plain.penultimate == nil && plain.filter == 0 && !plain.loadOnly)
    let all = try parseCommand(
      BenchCommand.self,
      [
        "bench", model, "--batch", "4", "--runs", "3", "--warmup", "0", "--task", "cam", "--layer", "-1",
        "--penultimate", "conv2d_1", "--filter", "2", "--load-only", "--precision", "bfloat16",
      ])
    #expect(all.batch == 4 && all.runs == 3 && all.warmup == 0 && all.task == .cam && all.penultimate == "conv2d_1")
    #expect(all.filter == 2 && all.loadOnly && all.arithmetic.precision == .bfloat16)
    expectUsageError(["bench", model, "--runs", "0"], mentioning: "--runs")
    expectUsageError(["bench", model, "--task", "train"], mentioning: "--task")
    let lrp = try parseCommand(BenchCommand.self, ["bench", model, "--task", "lrp", "--method", "deep-taylor"])
    #expect(lrp.task == .lrp && lrp.method == .deepTaylor && plain.method == .lrpEpsilonPlusFlat)
    expectUsageError(["bench", model, "--task", "lrp", "--method", "vanilla"], mentioning: "--method")
  }

  @Test("evaluate: several --method and --metric, --boxes, --filter, --penultimate, --step, --tolerance, --json")
  func evaluate() throws {
    let plain = try parseCommand(EvaluateCommand.self, ["evaluate", model, input, "--method", "gradcam"])
    #expect(plain.methodNames == [.cam(.gradcam)] && plain.metricNames.isEmpty && plain.boxes == nil)
    #expect(plain.filters.isEmpty && plain.step == nil && plain.tolerance == 15 && !plain.json)
    // Without --boxes every metric but the pointing game.
    #expect(plain.metrics().map(\.name).count == MetricName.allCases.count - 1)
    let all = try parseCommand(
      EvaluateCommand.self,
      [
        "evaluate", model, input, "--method", "gradcam", "layercam", "--metric", "pointing", "deletion", "--boxes",
        "boxes.json", "--filter", "3", "--penultimate", "conv2d_1", "--step", "28", "--tolerance", "4", "--json",
      ])
    #expect(all.methodNames == [.cam(.gradcam), .cam(.layercam)] && all.metricNames == [.pointing, .deletion])
    #expect(all.boxes == "boxes.json" && all.filters == [3] && all.penultimate == "conv2d_1")
    #expect(all.step == 28 && all.tolerance == 4 && all.json && all.metrics().count == 2)
    expectUsageError(["evaluate", model, input], mentioning: "--method")
    expectUsageError(["evaluate", model, input, "--method", "gradcam", "--step", "0"], mentioning: "--step")
    expectUsageError(["evaluate", model, input, "--method", "gradcam", "--tolerance=-1"], mentioning: "--tolerance")
  }

  @Test("the root command: an unknown subcommand is a usage error, --help is not an error")
  func root() {
    expectUsageError(["explode", model], mentioning: "explode")
    #expect(usageError(["--help"]) == nil && usageError(["cam", "--help"]) == nil)
    #expect(KerasVisCommand.helpMessage(for: CamCommand.self).contains("--penultimate"))
    // Each command's help lists its own method options only.
    let cam = KerasVisCommand.helpMessage(for: CamCommand.self)
    let saliency = KerasVisCommand.helpMessage(for: SaliencyCommand.self)
    #expect(cam.contains("--max-n") && cam.contains("--eigen-smooth") && !cam.contains("--noise-level"))
    #expect(!cam.contains("--steps") && !cam.contains("--keepdims"))
    #expect(saliency.contains("--noise-level") && saliency.contains("--steps") && !saliency.contains("--max-n"))
    #expect(!saliency.contains("--convention") && !saliency.contains("--penultimate"))
  }
}
