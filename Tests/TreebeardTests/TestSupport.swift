// Helpers for tests: temporary module directories and running the real `treebeard` executable.

import Foundation
import Treebeard

/// A fresh directory for module files, removed when the test ends.
final class ModuleDirectory: Sendable {
  let url: URL

  init() {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("treebeard-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  @discardableResult
  func write(_ name: String, _ text: String) -> String {
    let path = url.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Loads `text` as the file `m.oxur` (with `others` written beside it) in a fresh interpreter,
/// then evaluates `expression` there.
func loadModuleAndEvaluate(_ text: String, others: [String: String] = [:], _ expression: String) throws -> Value {
  let directory = ModuleDirectory()
  for (name, source) in others { directory.write(name, source) }
  let (interpreter, _, _) = bufferedInterpreter()
  try interpreter.load(path: directory.write("m.oxur", text))
  return try interpreter.eval(expression)
}

/// Defines `(entered)` in `interpreter`: it signals the semaphore returned, so a test knows
/// that code (a module's endless top level, say) has started.
func defineEntrance(in interpreter: Interpreter) -> DispatchSemaphore {
  let entered = DispatchSemaphore(value: 0)
  interpreter.defineBuiltin(
    Builtin("entered", arity: 0...0) { _, _ in
      entered.signal()
      return .nil
    })
  return entered
}

/// An interpreter whose output and error output are kept for the test to read.
func bufferedInterpreter() -> (Interpreter, BufferedOutput, BufferedOutput) {
  let output = BufferedOutput()
  let errors = BufferedOutput()
  return (Interpreter(output: output, errorOutput: errors), output, errors)
}

/// The result of running the executable.
struct ProcessResult {
  let status: Int32
  let stdout: String
  let stderr: String
}

enum Executable {
  /// `treebeard` sits beside the test bundle in the build products directory.
  static var url: URL {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = products.appendingPathComponent("treebeard")
    if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
    return SpecRunner.packageRoot.appendingPathComponent(".build/debug/treebeard")
  }

  /// Runs `treebeard` (or `program`: a shell or `timeout` that runs it) with arguments and
  /// optional stdin, in `directory`.
  static func run(
    _ arguments: [String], stdin: String = "", in directory: URL? = nil, environment: [String: String] = [:],
    program: String? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = program.map { URL(fileURLWithPath: $0) } ?? url
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let directory { process.currentDirectoryURL = directory }
    let input = Pipe()
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}

/// Drives the REPL as a person would: one input at a time, waiting for its answer, so files can
/// be edited between inputs. Each input is followed by a marker print to know the answer ended.
final class ReplSession: @unchecked Sendable {
  private let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let error = Pipe()
  private var outBuffer = Data()
  private var errBuffer = Data()
  private let lock = NSLock()
  static let marker = "<<treebeard-test-done>>"

  init(in directory: URL) throws {
    process.executableURL = Executable.url
    process.currentDirectoryURL = directory
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    output.fileHandleForReading.readabilityHandler = { [weak self] handle in
      let data = handle.availableData
      self?.lock.withLock { self?.outBuffer.append(data) }
    }
    error.fileHandleForReading.readabilityHandler = { [weak self] handle in
      let data = handle.availableData
      self?.lock.withLock { self?.errBuffer.append(data) }
    }
    try process.run()
  }

  /// The file name whose failed load marks the end of an answer on stderr.
  static let errorMarker = "treebeard-test-done-marker.oxur"

  /// Sends raw text, with no markers (an unfinished entry).
  func type(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }

  /// Sends one input followed by two markers: a print on stdout and a failed load on stderr.
  func submit(_ line: String) {
    let markers = "\n(println \"\(ReplSession.marker)\")\n(load \"\(ReplSession.errorMarker)\")\n"
    input.fileHandleForWriting.write(Data((line + markers).utf8))
  }

  /// Waits for the answer to the last `submit`: (stdout, stderr) up to the markers, which both
  /// streams must have reached, so nothing of the answer can still be in flight.
  func answer(timeout: TimeInterval = 60) -> (out: String, err: String) {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      let done: (String, String)? = lock.withLock {
        let text = String(decoding: outBuffer, as: UTF8.self)
        let errors = String(decoding: errBuffer, as: UTF8.self)
        // Another thread (the watcher, a process) may print whole lines between the marker
        // and its `nil`: those lines belong to the answer too.
        guard let markerLine = text.range(of: ReplSession.marker + "\n"),
          let result = text[text.index(before: markerLine.upperBound)...].range(of: "\nnil\n"),
          let marker = errors.range(of: ReplSession.errorMarker),
          let end = errors[marker.upperBound...].range(of: "✗ Module not loaded\n")
        else { return nil }
        let between = text[markerLine.upperBound..<max(markerLine.upperBound, text.index(after: result.lowerBound))]
        let lineStart = errors[..<marker.lowerBound].lastIndex(of: "\n").map { errors.index(after: $0) }
        outBuffer = Data(text[result.upperBound...].utf8)
        errBuffer = Data(errors[end.upperBound...].utf8)
        return (
          String(text[..<markerLine.lowerBound]) + between, String(errors[..<(lineStart ?? errors.startIndex)])
        )
      }
      if let done { return done }
      Thread.sleep(forTimeInterval: 0.01)
    }
    return ("<timeout>", "<timeout>")
  }

  /// Sends one input and returns (stdout, stderr) produced for it.
  func send(_ line: String, timeout: TimeInterval = 60) -> (out: String, err: String) {
    submit(line)
    return answer(timeout: timeout)
  }

  /// Sends Ctrl-C (SIGINT) to the REPL now, as a person pressing it would.
  func interrupt() {
    _ = kill(process.processIdentifier, SIGINT)
  }

  /// Ends input and waits for the REPL to exit; a REPL still running after 20 s is killed.
  func close() -> Int32 {
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(20)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      return -1
    }
    return process.terminationStatus
  }
}

extension String {
  /// Reload lines with their timing replaced by `_ ms`, so tests compare the rest exactly.
  var maskingTimings: String {
    replacingOccurrences(of: #"\d+\.\d ms"#, with: "_ ms", options: .regularExpression)
  }
}

/// Writes all of `bytes` to a connected socket, stopping quietly when the peer has gone (the
/// test clients of the HTTP and nREPL servers).
func sendAll(_ bytes: [UInt8], to socket: Int32) {
  var offset = 0
  while offset < bytes.count {
    let written = bytes[offset...].withUnsafeBytes {
      Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
    }
    if written <= 0 { return }
    offset += written
  }
}

/// A socket connected to 127.0.0.1:`port`, or nil (nothing left open) when it cannot connect.
func connectToLoopback(port: Int, receiveTimeout: TimeInterval? = nil) -> Int32? {
  let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard descriptor >= 0 else { return nil }
  if let receiveTimeout {
    var seconds = timeval(tv_sec: Int(receiveTimeout), tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
  }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  guard connected == 0 else {
    close(descriptor)
    return nil
  }
  return descriptor
}
