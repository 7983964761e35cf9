// The command-line tool: `treebeard` (REPL), `run`, `eval`, `check`, `nrepl`. All work is in the library.

import ArgumentParser
import Foundation
import Treebeard
import TreebeardHTTP
import TreebeardNREPL
import TreebeardREPL
import TreebeardWatch

@main
struct TreebeardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "treebeard",
    abstract: "Treebeard: an Oxur interpreter built for hot code loading.",
    usage: """
      treebeard [--path DIR]…                 start the REPL
      treebeard FILE.oxur [ARGS…]             run a program (as `treebeard run`)
      treebeard <subcommand> …
      """,
    version: "treebeard \(TreebeardVersion.string)",
    subcommands: [Repl.self, Run.self, Eval.self, Check.self, Nrepl.self],
    defaultSubcommand: Repl.self
  )

  /// `treebeard app.oxur ARGS…` runs the file, as `python app.py` does; a first word that is
  /// neither an option, a subcommand nor a file is an unknown command, shown with the
  /// top-level usage rather than the REPL's.
  static func main() {
    StandardDescriptors.openClosed()
    AllocatorSettings.apply()
    var arguments = Array(CommandLine.arguments.dropFirst())
    // `--nrepl` before the program file: the option's value is optional, which ArgumentParser
    // cannot express.
    let file = arguments.firstIndex { $0.hasSuffix(".oxur") } ?? arguments.count
    for index in 0..<file where arguments[index] == "--nrepl" {
      if index + 1 == arguments.count || Int(arguments[index + 1]) == nil { arguments[index] = "--nrepl=0" }
    }
    if arguments.first?.hasSuffix(".oxur") == true { arguments.insert("run", at: 0) }
    if let status = PlainInvocation.run(arguments) { Foundation.exit(status) }
    if let first = arguments.first, !first.hasPrefix("-") {
      let subcommands = configuration.subcommands.map {
        $0.configuration.commandName ?? String(describing: $0).lowercased()
      }
      if !subcommands.contains(first) && FileManager.default.fileExists(atPath: first) {
        arguments.insert("run", at: 0)
      } else if !subcommands.contains(first) && first != "help" {
        FileHandle.standardError.write(
          Data("Error: unknown command '\(first)' (and no file of that name)\n\n\(helpMessage())\n".utf8))
        Foundation.exit(64)
      } else if first == "help", arguments.count > 1, !arguments[1].hasPrefix("-"), arguments[1] != "help",
        !subcommands.contains(arguments[1])
      {
        // ArgumentParser shows the general help, successfully, for `help bogus`.
        FileHandle.standardError.write(
          Data("Error: no command '\(arguments[1])' to explain\n\n\(helpMessage())\n".utf8))
        Foundation.exit(64)
      }
    }
    main(arguments)
  }
}

/// A TCP port option: 0 (any free port) to 65535. Unchecked, `--port 65537` listened on port 1
/// (the value was cut to 16 bits), a privileged port when run as root.
func validatePort(_ port: Int?, _ option: String) throws {
  if let port, !(0...65535).contains(port) {
    throw ValidationError("\(option) must be a port from 0 (any free one) to 65535, not \(port)")
  }
}

struct LoadPathOptions: ParsableArguments {
  @Option(name: .customLong("path"), help: "A directory searched by import (repeatable).")
  var directories: [String] = []

  func validate() throws {
    for directory in directories {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("--path \(directory) is not a directory")
      }
    }
  }
}

/// `--history-limit N`: how many replaced versions each module keeps for rollback (DESIGN.md §4).
struct HistoryOption: ParsableArguments {
  // Unconditional: `--history-limit -1` was "missing value", never reaching the real reason.
  @Option(
    name: .customLong("history-limit"), parsing: .unconditional,
    help: "Replaced versions each module keeps for rollback (default 16; 0 keeps every one).")
  var limit: Int? = nil

  func validate() throws {
    if let limit, limit < 0 {
      throw ValidationError("--history-limit must be 0 (keep every version) or more, not \(limit)")
    }
  }

  /// The host's builtins, then the limit.
  var installer: Session.Installer {
    let limit = self.limit
    return { interpreter in
      HTTPBuiltins.install(in: interpreter)
      if let limit { try? interpreter.setHistoryLimit(limit) }
    }
  }
}

/// `--color=auto|always|never` for every mode; passed on through the environment so the
/// library's sessions see one setting (Colors.swift).
struct ColorOption: ParsableArguments {
  @Option(name: .customLong("color"), help: "Colour: auto (a terminal, unless NO_COLOR is set), always or never.")
  var mode: String = "auto"

  func validate() throws {
    guard Colors.Mode(rawValue: mode) != nil else { throw ValidationError("--color must be auto, always or never") }
  }

  func apply() { setenv(Colors.environmentVariable, mode, 1) }
}

struct WatchBackendOptions: ParsableArguments {
  @Option(
    name: .customLong("watch-backend"),
    help: "How (watch) notices saved files: inotify or poll (default: $TREEBEARD_WATCH_BACKEND, else inotify).")
  var backend: String? = nil
  @Option(name: .customLong("watch-debounce"), help: "Quiet milliseconds after a save before reloading.")
  var debounce: Int = 20

  func options() throws -> WatchOptions {
    // A negative wait was taken as none, which reloads half-written saves.
    guard debounce >= 0 else {
      throw ValidationError("--watch-debounce takes milliseconds, 0 or more, not \(debounce)")
    }
    var options = WatchOptions(debounce: Double(debounce) / 1000)
    if let backend {
      guard let chosen = WatchBackend(rawValue: backend) else {
        throw ValidationError("--watch-backend must be inotify or poll, not \(backend)")
      }
      options.backend = chosen
    }
    return options
  }
}

struct Repl: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Start the interactive REPL (the default).")
  @OptionGroup var loadPath: LoadPathOptions
  @OptionGroup var watch: WatchBackendOptions
  @Option(name: .customLong("nrepl"), help: "Also serve nREPL for editors (--nrepl or --nrepl=PORT).")
  var nreplPort: Int? = nil
  @OptionGroup var history: HistoryOption

  @OptionGroup var color: ColorOption

  func validate() throws { try validatePort(nreplPort, "--nrepl") }

  func run() throws {
    color.apply()
    let server = nreplPort.map { port in { try NREPLServer.launch(interpreter: $0, host: "127.0.0.1", port: port) } }
    let code = Session.runREPL(
      loadPath: loadPath.directories, watch: try watch.options(), server: server, install: history.installer)
    throw ExitCode(code)
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Load FILE as a module and call its main.")
  @OptionGroup var loadPath: LoadPathOptions
  @Flag(name: .customLong("watch"), help: "Reload the program's modules when their files are saved, while it runs.")
  var watches = false
  @OptionGroup var watch: WatchBackendOptions
  @Option(name: .customLong("nrepl"), help: "Run an nREPL server inside the program (--nrepl or --nrepl=PORT).")
  var nreplPort: Int? = nil
  @OptionGroup var history: HistoryOption
  @Argument(help: "The module file to run.") var file: String
  @Argument(parsing: .captureForPassthrough, help: "Arguments for the program, given to main and (args).")
  var arguments: [String] = []

  @OptionGroup var color: ColorOption

  func validate() throws { try validatePort(nreplPort, "--nrepl") }

  func run() throws {
    color.apply()
    let options = try watch.options()
    let server = nreplPort.map { port in { try NREPLServer.launch(interpreter: $0, host: "127.0.0.1", port: port) } }
    throw ExitCode(
      Session.runFile(
        file, arguments: arguments, loadPath: loadPath.directories, watch: watches ? options : nil, server: server,
        install: history.installer))
  }
}

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Evaluate an expression and print its value.")
  @OptionGroup var loadPath: LoadPathOptions
  // Unrecognized words are the source, so `treebeard eval -5` and `eval (- 3 5)` both work.
  @Argument(parsing: .allUnrecognized, help: "Oxur source to evaluate.") var expression: [String] = []

  /// `--` ends the options, as `run --` takes it, rather than being the first word of the source.
  private var source: ArraySlice<String> { expression.first == "--" ? expression.dropFirst() : expression[...] }

  func validate() throws {
    if source.isEmpty { throw ValidationError("eval needs the source to evaluate, e.g. treebeard eval '(+ 1 2)'") }
  }

  @OptionGroup var color: ColorOption

  func run() throws {
    color.apply()
    throw ExitCode(
      Session.evalExpression(
        source.joined(separator: " "), loadPath: loadPath.directories, install: HTTPBuiltins.install))
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Read, expand and analyze FILE without running it.")
  @OptionGroup var loadPath: LoadPathOptions
  @Argument(help: "The file to check.") var file: String

  @OptionGroup var color: ColorOption

  func run() throws {
    color.apply()
    throw ExitCode(Session.checkFile(file, loadPath: loadPath.directories, install: HTTPBuiltins.install))
  }
}

struct Nrepl: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Run an nREPL server for editors (CIDER, Calva, Conjure…).")
  @OptionGroup var loadPath: LoadPathOptions
  @Option(help: "The port (default: a free one).") var port: Int = 0
  @Option(help: "The address to listen on; another than loopback lets other machines in.") var host = "127.0.0.1"
  @OptionGroup var history: HistoryOption
  @OptionGroup var color: ColorOption

  func validate() throws { try validatePort(port, "--port") }

  func run() throws {
    color.apply()
    throw ExitCode(
      Session.serve(
        loadPath: loadPath.directories,
        start: { try NREPLServer.launch(interpreter: $0, host: host, port: port) }, install: history.installer))
  }
}
