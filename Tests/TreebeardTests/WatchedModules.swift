// A watched module directory for the watcher's tests: files, an interpreter with captured output, a watcher.

import Foundation
import Testing
import Treebeard
import TreebeardWatch

/// One watched module directory: an interpreter with captured output and a running watcher.
final class WatchedModules: @unchecked Sendable {
  let directory = ModuleDirectory()
  let output = BufferedOutput()
  let errors = BufferedOutput()
  let interpreter: Interpreter
  let watcher: Watcher
  private let lock = NSLock()
  private var seenOut = ""
  private var seenErr = ""

  /// Writes `files` and loads them all (in name order), or only `load`, which may import the others.
  /// `debounce` long enough makes saves written back to back one batch even on a loaded machine.
  init(_ backend: WatchBackend, files: [String: String], load: String? = nil, debounce: Double = 0.05) throws {
    interpreter = Interpreter(output: output, errorOutput: errors)
    for (name, text) in files.sorted(by: { $0.key < $1.key }) { directory.write(name, text) }
    for name in load.map({ [$0] }) ?? files.keys.sorted() { try interpreter.load(path: directory.path(name)) }
    _ = output.take()
    watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: debounce))
  }

  deinit { watcher.stop() }

  static func module(_ name: String, _ answer: String) -> String {
    "(module \(name))\n(defonce hits (atom 0))\n(defn answer [] \(answer))\n"
  }

  /// What `name:answer` returns now (an error's message if it fails).
  func answer(_ module: String) -> String {
    do { return try interpreter.call(module: module, function: "answer").printed } catch { return "\(error)" }
  }

  func version(_ module: String) -> Int? { interpreter.modules().first { $0.name == module }?.version }

  /// Everything written to stdout / stderr so far.
  var out: String {
    lock.withLock {
      seenOut += output.take()
      return seenOut
    }
  }
  var err: String {
    lock.withLock {
      seenErr += errors.take()
      return seenErr
    }
  }

  /// Saves as editors that write a temporary file and rename it over the original do.
  func renameSave(_ name: String, _ text: String) throws {
    let temporary = directory.path(".\(name).tmp~")
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, directory.path(name)) == 0 else { throw OxurError("io", "rename failed") }
  }

  /// Saves in place: truncate, then write, through the same file (same inode).
  func inPlaceSave(_ name: String, _ text: String) throws { try inPlaceSave(name, Array(text.utf8)) }

  /// `inPlaceSave` of raw bytes (which need not be UTF-8).
  func inPlaceSave(_ name: String, _ bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path(name)))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(bytes))
    try handle.close()
  }

  /// What `module:function` returns now (an error's message if it fails).
  func call(_ module: String, _ function: String) -> String {
    do { return try interpreter.call(module: module, function: function).printed } catch { return "\(error)" }
  }

  func waitForAnswer(_ module: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    waitUntil("\(module):answer returns \(expected)", timeout: 20, sourceLocation: sourceLocation) {
      answer(module) == expected
    }
  }
}
