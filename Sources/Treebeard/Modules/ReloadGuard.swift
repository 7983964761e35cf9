// Refusing reloads that would wipe a loaded module: empty files, lost headers, deleted files.

import Foundation
import OxurSyntax

extension Runtime {
  /// The module currently loaded from `path`, if any.
  func moduleLoaded(from path: String) -> (name: String, version: ModuleVersion)? {
    for entry in registry.loadedModules {
      if let current = entry.current, current.number > 0, current.path == path { return (entry.name, current) }
    }
    return nil
  }

  /// Throws when `source` would replace the loaded module `name` (version `current`) with
  /// nothing: an editor that truncates before writing, or a save caught half-way, must not
  /// delete every definition and every `defonce` (issue 8, item 3).
  func refuseWipe(_ source: ModuleSource, replacing name: String, version current: ModuleVersion) throws {
    let file = displayName(source.path)
    let keeping = "keeping \(name) version \(current.number)"
    var reader = Reader(SourceFile(name: source.path, text: source.text))
    let first: Syntax?
    do { first = try reader.next() } catch { return }  // a read error: the load itself reports it
    guard let first else {
      // Nothing but whitespace and comments.
      throw OxurError(
        "load", "\(file) is empty; refusing to reload \(name) from it (\(keeping); save the file again to reload)")
    }
    let hasHeader = first.isCall(to: "module")
    var onlyHeader = false
    if hasHeader { onlyHeader = (try? reader.next() == nil) ?? false }
    if onlyHeader {
      throw OxurError(
        "load",
        "\(file) has nothing but its (module …) header; refusing to reload \(name) from it (\(keeping))")
    }
    let baseName = URL(fileURLWithPath: source.path).deletingPathExtension().lastPathComponent
    if !hasHeader, name != baseName {
      throw OxurError(
        "load",
        "\(file) lost its (module \(name)) header (without it the file would be module \(baseName)); refusing to reload it (\(keeping))"
      )
    }
  }

  /// The message for a reload of a loaded module whose file is gone.
  func deletedFileError(_ path: String, name: String, version: Int) -> OxurError {
    OxurError(
      "load",
      "\(displayName(path)) is gone (deleted or moved); \(name) version \(version) keeps answering")
  }
}
