import KerasGraph

/// Runs `body`, turning a layer kind's decoding errors into a `KerasImportError` that names the file, the layer
/// and the field at fault.
func importing<T>(file: String, layer: LayerLocation, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as KerasImportError {
    throw error
  } catch let error as LayerDecodingFailure {
    throw KerasImportError.unsupportedLayer(file: file, layer: layer, hint: error.description)
  } catch let error as LayerConfigError {
    throw KerasImportError.invalidLayerConfig(file: file, layer: layer, field: error.field, detail: error.detail)
  } catch let error as ShapeProblem {
    throw KerasImportError.incompatibleShapes(file: file, layer: layer, detail: error.detail)
  } catch let error as DecodingError {
    let (field, detail) = error.fieldAndDetail
    throw KerasImportError.invalidLayerConfig(file: file, layer: layer, field: field, detail: detail)
  }
}
