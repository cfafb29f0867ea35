import KerasGraph
import Testing

/// Python's `slice(start, stop, step).indices(7)`: the first position and the number of positions, from
/// `len(range(*s.indices(7)))` (computed with CPython 3.11).
private let pythonSlices: [(start: Int?, stop: Int?, step: Int?, first: Int, count: Int)] = [
  (nil, nil, nil, 0, 7), (2, 100, nil, 2, 5), (-100, 3, nil, 0, 3), (-3, nil, nil, 4, 3), (nil, nil, -1, 6, 7),
  (5, 1, -2, 5, 2), (-1, -8, -3, 6, 3), (6, nil, -4, 6, 2), (3, 3, nil, 3, 0), (1, nil, 3, 1, 2),
  (-2, -1, nil, 5, 1), (10, nil, -1, 6, 7),
]

@Suite("The kinds of tensor operations: slicing, stack, split and matmul shapes")
struct OperationKindTests {
  @Test("a range selects what Python's slice.indices selects, clipped bounds and negative steps included")
  func rangesFollowPython() throws {
    for entry in pythonSlices {
      let slice = StridedSlice(key: [.ellipsis, .range(start: entry.start, stop: entry.stop, step: entry.step)])
      guard entry.count > 0 else {
        // An empty selection is refused (a zero-size axis).
        #expect(throws: ShapeProblem.self, "\(slice)") { try slice.selection(input: [2, 3, 7]) }
        continue
      }
      let selection = try slice.selection(input: [2, 3, 7])
      let axis = try #require(selection.axes.last)
      #expect(axis.count == entry.count && axis.start == entry.first, "\(slice)")
      #expect(axis.step == entry.step ?? 1 && axis.inputAxis == 2, "\(slice)")
    }
  }

  @Test("indices remove axes, None adds one, ... fills in whole axes; the batch axis stays whole")
  func keyShapes() throws {
    let input = TensorShape([nil, 6, 8, 4])
    func shape(_ key: [SliceItem]) throws -> [Int?] {
      try StridedSlice(key: key).outputShapes(inputs: [input])[0].dimensions
    }
    let all = SliceItem.range(start: nil, stop: nil, step: nil)
    #expect(try shape([all, .index(0)]) == [nil, 8, 4])
    #expect(try shape([all, .index(-1), .newAxis, all, .range(start: -3, stop: -1, step: nil)]) == [nil, 1, 8, 2])
    #expect(try shape([.ellipsis, .range(start: nil, stop: nil, step: 2)]) == [nil, 6, 8, 2])
    #expect(try shape([all, .newAxis, .range(start: nil, stop: nil, step: -1)]) == [nil, 1, 6, 8, 4])
    #expect(try shape([.ellipsis, .newAxis]) == [nil, 6, 8, 4, 1])
    let selection = try StridedSlice(key: [all, .index(-1)]).selection(input: [2, 6, 8, 4])
    #expect(selection.indices.map(\.inputAxis) == [1] && selection.indices.map(\.position) == [5])
    for key: [SliceItem] in [
      [.index(0)], [.range(start: 1, stop: nil, step: nil)], [.newAxis], [all, .index(6)], [all, .index(-7)],
      [all, all, all, all, all], [.ellipsis, .ellipsis], [all, .range(start: nil, stop: nil, step: 0)],
      [all, .range(start: 3, stop: 3, step: nil)],
    ] {
      #expect(throws: ShapeProblem.self, "\(StridedSlice(key: key))") { try shape(key) }
    }
  }

  @Test("stack inserts the count, split divides the axis (-1 takes the rest), matmul keeps the leading axes")
  func shapes() throws {
    let x = TensorShape([nil, 6, 8, 4])
    #expect(try Stack(axis: 1).outputShapes(inputs: [x, x])[0].dimensions == [nil, 2, 6, 8, 4])
    #expect(try Stack(axis: -1).outputShapes(inputs: [x, x, x])[0].dimensions == [nil, 6, 8, 4, 3])
    #expect(throws: ShapeProblem.self) { try Stack(axis: 0).outputShapes(inputs: [x]) }
    let split = try Split(axis: 2, parts: .sizes([1, -1, 2])).outputShapes(inputs: [x])
    #expect(split.map(\.dimensions) == [[nil, 6, 1, 4], [nil, 6, 5, 4], [nil, 6, 2, 4]])
    #expect(try Split(axis: -1, parts: .count(2)).outputShapes(inputs: [x]).count == 2)
    #expect(throws: ShapeProblem.self) { try Split(axis: -1, parts: .count(3)).outputShapes(inputs: [x]) }
    #expect(throws: ShapeProblem.self) { try Split(axis: 1, parts: .sizes([2, 2])).outputShapes(inputs: [x]) }
    let y = TensorShape([nil, 6, 4, 5])
    #expect(try MatMul().outputShapes(inputs: [x, y])[0].dimensions == [nil, 6, 8, 5])
    #expect(try MatMul(transposeA: true).outputShapes(inputs: [x, x])[0].dimensions == [nil, 6, 4, 4])
    #expect(try MatMul(transposeB: true).outputShapes(inputs: [x, x])[0].dimensions == [nil, 6, 8, 8])
    let constant = MatMul(transposeB: true, constant: [Float](repeating: 1, count: 12), constantShape: [3, 4])
    #expect(try constant.outputShapes(inputs: [TensorShape([nil, 4])])[0].dimensions == [nil, 3])
    #expect(throws: ShapeProblem.self) { try MatMul().outputShapes(inputs: [x, x]) }
    #expect(throws: ShapeProblem.self) { try MatMul().outputShapes(inputs: [TensorShape([nil, 4]), x]) }
  }
}
