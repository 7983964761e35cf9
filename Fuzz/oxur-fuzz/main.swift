// oxur-fuzz: a libFuzzer target for the reader and the evaluator, and a replayer for its findings.
//
// Plain `swift build` makes an executable that replays files given on the command line:
//     .build/debug/oxur-fuzz [--mode reader|eval|byte] FILE…
// Built with `-Xswiftc -DFUZZING -Xswiftc -parse-as-library --sanitize=fuzzer` it exports
// `LLVMFuzzerTestOneInput` instead (see Fuzz/README.md).
//
// Modes: `reader` only reads the input; `eval` reads, expands and evaluates it in a fresh
// interpreter; `reload` evaluates it while a second thread reloads module `fz` over and over,
// alternately from a fixed version and from the input itself (so the loader, its transactions
// and their isolation meet arbitrary code from two threads). The mode comes from OXUR_FUZZ_MODE
// (reader | eval | reload); without it, the first byte of the input chooses (even: reader,
// odd: eval) and the program is the rest of the input.
//
// Whatever the input does, the only acceptable outcomes are a value, a ReadError, an OxurError
// or an ExitRequest. Anything else (a trap, a stack overflow) is a crash and a bug.

import Foundation
import OxurSyntax
import Treebeard

enum FuzzMode: String {
  case reader
  case eval
  case reload
}

enum FuzzHarness {
  /// Wall-clock budget of one evaluation before it is interrupted.
  static let evalBudget: Double = {
    if let text = ProcessInfo.processInfo.environment["OXUR_FUZZ_BUDGET_MS"], let ms = Double(text) { return ms / 1000 }
    return 0.05
  }()

  /// The mode forced by the environment, if any.
  static let forcedMode: FuzzMode? = ProcessInfo.processInfo.environment["OXUR_FUZZ_MODE"].flatMap(FuzzMode.init)

  /// Prelude functions that reach outside the process are replaced in the `user` module, so a
  /// mutated input cannot write files, load code from disk or start watchers.
  static let sandboxPrelude = """
    (defn spit [& _] nil)
    (defn slurp [& _] "")
    (defn load [& _] nil)
    (defn reload [& _] nil)
    (defn reload-all [& _] nil)
    (defn watch [& _] nil)
    (defn unwatch [& _] nil)
    (defn rollback [& _] nil)
    (defn sleep [& _] nil)
    """

  /// Splits raw input into (mode, program text).
  static func decode(_ bytes: [UInt8]) -> (FuzzMode, String) {
    if let forcedMode { return (forcedMode, String(decoding: bytes, as: UTF8.self)) }
    guard let first = bytes.first else { return (.reader, "") }
    let mode: FuzzMode = first % 2 == 0 ? .reader : .eval
    return (mode, String(decoding: bytes.dropFirst(), as: UTF8.self))
  }

  /// Runs one input; returns a one-line description of the outcome.
  @discardableResult
  static func run(_ text: String, mode: FuzzMode, name: String = "<fuzz>") -> String {
    switch mode {
    case .reader:
      do {
        let forms = try Reader.readAll(SourceFile(name: name, text: text))
        return "read \(forms.count) form(s)"
      } catch {
        return "read error: \(error.message)"
      }
    case .eval:
      return evaluate(text, name: name)
    case .reload:
      return evaluateWhileReloading(text, name: name)
    }
  }

  /// The version of `fz` the reloading thread alternates with the input.
  static let steadyModule = "(module fz)\n(defn f [& xs] (count xs))\n(def g 2)\n(defmacro m [x] x)\n"

  /// Evaluates `text` on this thread while another thread reloads `fz`: first from the steady
  /// version, then from the input as a module body, until the evaluation ends (at most 50 times).
  static func evaluateWhileReloading(_ text: String, name: String) -> String {
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: output)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("oxur-fuzz-\(getpid())-fz.oxur").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = FileManager.default.createFile(atPath: path, contents: Data(steadyModule.utf8))
      try interpreter.eval(sandboxPrelude, file: "<sandbox>")
      try interpreter.load(path: path)
    } catch {
      return "setup failed: \(error)"
    }
    let finished = Flag()
    let reloader = Thread {
      var round = 0
      while !finished.isSet && round < 50 {
        let body = round % 2 == 0 ? "(module fz)\n" + sandboxPrelude + "\n" + text : steadyModule
        _ = FileManager.default.createFile(atPath: path, contents: Data(body.utf8))
        _ = try? interpreter.reload(path: path)
        round += 1
      }
      finished.reloaderDone()
    }
    reloader.stackSize = 1 << 24
    reloader.start()
    DispatchQueue.global().asyncAfter(deadline: .now() + evalBudget) { [weak interpreter] in
      interpreter?.interrupt()
    }
    let outcome = describe { try interpreter.eval(text, file: name) }
    interpreter.runtime.processes.killAll()
    finished.set()
    // The reloader's loads are bounded by the budget too: interrupt until it has stopped.
    while !finished.isReloaderDone {
      interpreter.interrupt()
      Thread.sleep(forTimeInterval: 0.001)
    }
    _ = output.take()
    return outcome
  }

  static func describe(_ body: () throws -> Value) -> String {
    do {
      return "value: \(clip(try body().printed))"
    } catch let error as OxurError {
      return "error (\(error.kind)): \(clip(error.message))"
    } catch let request as ExitRequest {
      return "exit \(request.code)"
    } catch {
      return "other error: \(error)"
    }
  }

  static func evaluate(_ text: String, name: String) -> String {
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: output)
    do {
      try interpreter.eval(sandboxPrelude, file: "<sandbox>")
    } catch {
      return "sandbox setup failed: \(error)"
    }
    // Runaway programs are bounded: interrupt after the budget (only if still alive).
    DispatchQueue.global().asyncAfter(deadline: .now() + evalBudget) { [weak interpreter] in
      interpreter?.interrupt()
    }
    let outcome: String
    do {
      let value = try interpreter.eval(text, file: name)
      outcome = "value: \(clip(value.printed))"
    } catch let error as OxurError {
      outcome = "error (\(error.kind)): \(clip(error.message))"
    } catch let request as ExitRequest {
      outcome = "exit \(request.code)"
    } catch {
      outcome = "other error: \(error)"
    }
    // Processes the input spawned outlive its evaluation: stop them, so they neither pile up
    // across inputs nor keep a core busy.
    interpreter.runtime.processes.killAll()
    _ = output.take()
    return outcome
  }

  /// A flag shared by the evaluating and the reloading thread.
  final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var reloaderFinished = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    var isReloaderDone: Bool { lock.withLock { reloaderFinished } }
    func reloaderDone() { lock.withLock { reloaderFinished = true } }
  }

  static func clip(_ text: String) -> String {
    let line = text.replacingOccurrences(of: "\n", with: "\\n")
    return line.count > 200 ? String(line.prefix(200)) + "…" : line
  }
}

#if FUZZING

  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = FuzzHarness.scratchDirectory
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let (mode, text) = FuzzHarness.decode(bytes)
    FuzzHarness.run(text, mode: mode)
    return 0
  }

  extension FuzzHarness {
    /// Inputs run in a scratch directory, so nothing the sandbox misses can touch the checkout.
    /// Entered on the first input, not in LLVMFuzzerInitialize: libFuzzer still resolves relative
    /// corpus paths and (with -fork) its own executable path after initializing.
    static let scratchDirectory: String = {
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("oxur-fuzz-\(getpid())")
      try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
      _ = FileManager.default.changeCurrentDirectoryPath(scratch.path)
      return scratch.path
    }()
  }

#else

  /// Replays inputs: `oxur-fuzz [--mode reader|eval|byte] FILE…`. With no --mode (and no
  /// OXUR_FUZZ_MODE), each file is read and then evaluated, as plain Oxur text. Exits the process.
  func replayMain() -> Int32 {
    exit(replay())
  }

  func replay() -> Int32 {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var modes: [FuzzMode]? = FuzzHarness.forcedMode.map { [$0] }
    var byteSelects = false
    if arguments.first == "--mode", arguments.count >= 2 {
      switch arguments[1] {
      case "reader": modes = [.reader]
      case "eval": modes = [.eval]
      case "reload": modes = [.reload]
      case "byte": byteSelects = true
      default:
        FileHandle.standardError.write(Data("unknown mode \(arguments[1]) (reader, eval or byte)\n".utf8))
        return 2
      }
      arguments.removeFirst(2)
    }
    if arguments.isEmpty || arguments.first == "--help" || arguments.first == "-h" {
      print("usage: oxur-fuzz [--mode reader|eval|reload|byte] FILE…")
      print("  replays fuzzer inputs; without --mode each file is read, then evaluated")
      print("  --mode byte: the first byte picks the mode (even reader, odd eval), as in the fuzzer")
      return arguments.isEmpty ? 2 : 0
    }
    for path in arguments {
      guard let data = FileManager.default.contents(atPath: path) else {
        print("\(path): cannot read")
        continue
      }
      let bytes = [UInt8](data)
      if byteSelects {
        let (mode, text) = FuzzHarness.decode(bytes)
        print("\(path) [\(mode.rawValue)]: \(FuzzHarness.run(text, mode: mode, name: path))")
        continue
      }
      let text = String(decoding: bytes, as: UTF8.self)
      for mode in modes ?? [.reader, .eval] {
        print("\(path) [\(mode.rawValue)]: \(FuzzHarness.run(text, mode: mode, name: path))")
      }
    }
    return 0
  }

  // A declaration rather than a bare call: the fuzzing build parses this file with
  // -parse-as-library, which rejects top-level expressions even in an inactive #if branch.
  let replayStatus: Int32 = replayMain()

#endif
