// http-serve, http-stop, http-port, http-join: the HTTP server as Oxur builtins, defined by the host.

import Foundation
import Treebeard

public enum HTTPBuiltins {
  /// Adds the HTTP builtins to `interpreter`'s prelude (before code that uses them is loaded).
  public static func install(in interpreter: Interpreter) {
    interpreter.defineBuiltin(
      Builtin("http-serve", arity: 2...2) { [weak interpreter] machine, arguments in
        guard let interpreter else { throw OxurError("http", "http-serve: the interpreter is gone") }
        let options = try parseOptions(arguments[0])
        let target = try handlerTarget(arguments[1])
        let server = try HTTPServer.start(
          options: options, interpreter: interpreter, target: target, startedAt: machine.callSite)
        // Started by a top level that fails (or a dry run): nothing of that load stays, so the
        // server must not either. It kept the port, answering with a handler never committed.
        interpreter.runtime.whenLoadRollsBack { server.stop(refusingTaken: true) }
        return .opaque(OpaqueBox(typeName: "http-server", payload: server, label: server.address))
      }.recordsCallSite(),
      arglists: "[options handler]",
      doc: "Starts an HTTP server calling (handler request) per request, late-bound; returns the server")
    interpreter.defineBuiltin(
      Builtin("http-stop", arity: 1...1) { machine, arguments in
        let server = try server(arguments[0], "http-stop")
        server.stop()
        // Requests in flight finish first (for up to 10 s): returning at once let a program
        // end under them, and their clients got an empty reply. A load cannot wait.
        if machine.canReleaseEvaluator {
          let deadline = Date().addingTimeInterval(10)
          try server.waiting {
            try machine.waitWithoutEvaluatorLock { server.isFinished || Date() > deadline }
          }
        }
        return .nil
      },
      arglists: "[server]", doc: "Stops the server and closes its port; requests in flight finish first (up to 10 s)")
    interpreter.defineBuiltin(
      Builtin("http-port", arity: 1...1) { _, arguments in
        .int(try server(arguments[0], "http-port").port)
      },
      arglists: "[server]", doc: "The port the server listens on (useful with :port 0)")
    interpreter.defineBuiltin(
      Builtin("http-join", arity: 1...1) { machine, arguments in
        let server = try server(arguments[0], "http-join")
        do {
          // Until the requests in flight are answered too: the program ends after this.
          try server.waiting {
            try machine.waitWithoutEvaluatorLock(pollInterval: 0.02) { server.isFinished }
          }
        } catch let error as OxurError where error.kind == "interrupted" {
          server.stop()  // Ctrl-C on `treebeard run`: close the port before the program ends
          throw error
        }
        return .nil
      },
      arglists: "[server]", doc: "Waits, holding no lock, until the server stops")
  }

  private static let optionNames = ["host", "port", "max-body", "threads", "idle-timeout"]

  static func parseOptions(_ value: Value) throws -> HTTPServerOptions {
    guard case .map(let map) = value else {
      throw OxurError("type", "http-serve: expected an options map such as {:port 8080}, got \(value.printed)")
    }
    var options = HTTPServerOptions()
    for (key, option) in map.storage {
      guard case .keyword(let keyword) = key, optionNames.contains(keyword.name) else {
        throw OxurError(
          "http",
          "http-serve: unknown option \(key.printed) (known: \(optionNames.map { ":" + $0 }.joined(separator: " ")))")
      }
      switch keyword.name {
      case "host":
        guard case .string(let host) = option, !host.value.isEmpty else {
          throw OxurError("type", "http-serve: :host must be a non-empty string, got \(option.printed)")
        }
        options.host = host.value
      case "port": options.port = try integer(option, "port", 0...65535)
      case "max-body": options.maxBody = try integer(option, "max-body", 0...(1 << 30))
      case "threads": options.threads = try integer(option, "threads", 1...64)
      default: options.idleTimeout = try integer(option, "idle-timeout", 1...86400)
      }
    }
    return options
  }

  private static func integer(_ value: Value, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
    guard case .int(let number) = value, range.contains(number) else {
      throw OxurError(
        "type",
        "http-serve: :\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), got \(value.printed)")
    }
    return number
  }

  static func handlerTarget(_ value: Value) throws -> HandlerTarget {
    switch value {
    case .symbol(let symbol):
      guard let module = symbol.module else {
        throw OxurError(
          "type",
          "http-serve: a handler named by a symbol needs its module, e.g. 'app:\(symbol.name) (got '\(symbol.name))")
      }
      return .named(module: module, function: symbol.name)
    case .closure, .builtin, .functionReference:
      return .function(value)
    default:
      throw OxurError(
        "type", "http-serve: the handler must be a function or a symbol like 'app:handle, got \(value.printed)")
    }
  }

  private static func server(_ value: Value, _ builtin: String) throws -> HTTPServer {
    guard case .opaque(let box) = value, let server = box.payload as? HTTPServer else {
      throw OxurError("type", "\(builtin): expected a server from http-serve, got \(value.printed)")
    }
    return server
  }
}
