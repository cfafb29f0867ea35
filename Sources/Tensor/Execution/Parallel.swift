import Foundation

/// Splits element-wise Swift loops across the cores (oneDNN's primitives use them through OpenMP already).
enum Parallel {
  /// The number of chunks worth running at once.
  static let width = max(ProcessInfo.processInfo.activeProcessorCount, 1)

  /// Calls `body` on consecutive ranges covering `0..<count`, in parallel when `count` is large.
  static func forRanges(_ count: Int, minimumChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let chunks = min(width, max(count / minimumChunk, 1))
    guard chunks > 1 else {
      body(0..<count)
      return
    }
    let size = (count + chunks - 1) / chunks
    // The chunks touch disjoint ranges, and concurrentPerform returns only when all have run.
    withoutActuallyEscaping(body) { body in
      nonisolated(unsafe) let work = body
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = chunk * size
        work(start..<min(start + size, count))
      }
    }
  }
}
