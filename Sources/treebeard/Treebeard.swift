// The command-line tool: `treebeard` (REPL), `run`, `eval`, `check`. All work is in the library.

import ArgumentParser
import Foundation
import Treebeard
import TreebeardREPL
import TreebeardWatch

@main
struct TreebeardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "treebeard",
    abstract: "Treebeard: an Oxur interpreter built for hot code loading.",
    subcommands: [Repl.self, Run.self, Eval.self, Check.self],
    defaultSubcommand: Repl.self
  )
}

struct LoadPathOptions: ParsableArguments {
  @Option(name: .customLong("path"), help: "A directory searched by import (repeatable).")
  var directories: [String] = []
}

struct WatchBackendOptions: ParsableArguments {
  @Option(
    name: .customLong("watch-backend"),
    help: "How (watch) notices saved files: inotify or poll (default: $TREEBEARD_WATCH_BACKEND, else inotify).")
  var backend: String? = nil
  @Option(name: .customLong("watch-debounce"), help: "Quiet milliseconds after a save before reloading.")
  var debounce: Int = 20

  func options() throws -> WatchOptions {
    var options = WatchOptions(debounce: Double(max(0, debounce)) / 1000)
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

  func run() throws {
    let code = Session.runREPL(loadPath: loadPath.directories, watch: try watch.options())
    throw ExitCode(code)
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Load FILE as a module and call its main.")
  @OptionGroup var loadPath: LoadPathOptions
  @Flag(name: .customLong("watch"), help: "Reload the program's modules when their files are saved, while it runs.")
  var watches = false
  @OptionGroup var watch: WatchBackendOptions
  @Argument(help: "The module file to run.") var file: String
  @Argument(parsing: .captureForPassthrough, help: "Arguments for the program, given to main and (args).")
  var arguments: [String] = []

  func run() throws {
    let options = try watch.options()
    throw ExitCode(
      Session.runFile(file, arguments: arguments, loadPath: loadPath.directories, watch: watches ? options : nil))
  }
}

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Evaluate an expression and print its value.")
  @OptionGroup var loadPath: LoadPathOptions
  @Argument(help: "Oxur source to evaluate.") var expression: String

  func run() throws {
    throw ExitCode(Session.evalExpression(expression, loadPath: loadPath.directories))
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Read, expand and analyze FILE without running it.")
  @OptionGroup var loadPath: LoadPathOptions
  @Argument(help: "The file to check.") var file: String

  func run() throws {
    throw ExitCode(Session.checkFile(file, loadPath: loadPath.directories))
  }
}
