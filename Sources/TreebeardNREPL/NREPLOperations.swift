// The nREPL ops: describe, sessions, eval, load-file, interrupt, completions, lookup, refresh.

import Foundation
import Treebeard

extension NREPLServer {
  /// Each op with a one-line doc (never an empty map: some clients' bencode readers, such as
  /// nrepl-python-client's, take an empty value for the end of a list).
  static let operations: [String: String] = [
    "clone": "A new session, starting in this session's module.",
    "close": "Ends the session.",
    "completions": "Names starting with prefix (also module:name).",
    "complete": "As completions (cider-nrepl's name).",
    "describe": "The ops and versions of this server.",
    "eval": "Evaluates code form by form: one value per form, out/err streamed.",
    "info": "As lookup, with the fields at the top level (cider-nrepl's shape).",
    "interrupt": "Stops the session's running eval.",
    "load-file": "Loads or reloads file (the buffer's text) as one transaction.",
    "lookup": "Where sym is defined: arglists, doc, file, line.",
    "ls-sessions": "The open sessions.",
    "refresh": "Reloads every changed module, all or nothing.",
    "refresh-all": "As refresh.",
    "stdin": "Text for read-line in the session's evaluations (empty: end of input).",
  ]

  /// Answers one request. Anything that evaluates or takes the evaluator lock runs off the
  /// event loop: on the session's thread (evaluations, in order) or a shared queue (queries).
  func handle(_ request: [String: Bencode], from connection: NREPLConnection) {
    let op = request["op"]?.text ?? ""
    if request["session"] == nil && (op == "clone" || op == "describe" || op == "ls-sessions") {
      // Answered without making the connection a session it would never use.
      let clone = op == "clone" ? newSession(for: connection) : nil
      if op == "clone" && clone == nil {
        connection.reply(to: request, session: nil, ["status": Self.status("error", "too-many-sessions", "done")])
        return
      }
      connection.reply(to: request, session: nil, sessionless(op, clone: clone))
      return
    }
    let session: NREPLSession
    if let named = request["session"]?.text {
      guard let found = self.session(named: named) else {
        connection.reply(
          to: request, session: named, ["status": Self.status("error", "unknown-session", "done")])
        return
      }
      session = found
    } else {
      guard let created = defaultSession(for: connection) else {
        connection.reply(to: request, session: nil, ["status": Self.status("error", "too-many-sessions", "done")])
        return
      }
      session = created
    }
    let reply: @Sendable ([String: Bencode]) -> Void = { [id = session.id] fields in
      connection.reply(to: request, session: id, fields)
    }
    switch op {
    case "describe", "ls-sessions":
      reply(sessionless(op, clone: nil, module: session.handle.currentModule ?? "user"))
    case "clone":
      guard let clone = newSession(for: connection, module: session.handle.currentModule) else {
        reply(["status": Self.status("error", "too-many-sessions", "done")])
        return
      }
      reply(sessionless(op, clone: clone))
    case "close":
      closeSession(session)
      reply(["status": Self.status("session-closed", "done")])
    case "interrupt":
      switch session.interrupt(requestID: request["interrupt-id"]?.text) {
      case .interrupted: reply(["status": Self.status("done")])
      case .idle: reply(["status": Self.status("session-idle", "done")])
      case .mismatch: reply(["status": Self.status("error", "interrupt-id-mismatch", "done")])
      }
    case "eval", "load-file", "refresh", "refresh-all":
      let requestID = request["id"]?.text ?? ""
      let cancel: @Sendable () -> Void = { reply(["status": Self.status("interrupted", "done")]) }
      let queued = session.submit(request: requestID, cancel: cancel) { [self] in
        switch op {
        case "eval": evaluate(request, session: session, connection: connection, reply: reply)
        case "load-file": loadFile(request, session: session, connection: connection, reply: reply)
        default: refresh(session: session, reply: reply)
        }
      }
      switch queued {
      case .queued: break
      case .closed: reply(["status": Self.status("error", "session-closed", "done")])
      case .full: reply(["status": Self.status("error", "session-queue-full", "done")])
      }
    case "stdin":
      let accepted = session.input.append(request["stdin"]?.text ?? "")
      reply(["status": accepted ? Self.status("done") : Self.status("error", "stdin-full", "done")])
    case "completions", "complete", "lookup", "info":
      DispatchQueue.global().async { [self] in
        // Off the event loop, and given up after a while (`lookups`): knowing the modules
        // (`ns` too) takes the evaluator lock, which another session's load may hold for ever.
        let named = request["ns"]?.text
        let sessionModule = session.handle.currentModule ?? "user"
        let module: @Sendable () -> String = { [self] in named.flatMap { knownModule($0) } ?? sessionModule }
        let interpreter = interpreter
        if op == "completions" || op == "complete" {
          let prefix = request["prefix"]?.text ?? request["symbol"]?.text ?? ""
          let found = lookups.run { interpreter.completions(prefix: prefix, module: module()) } ?? []
          let candidates = found.map { completion in
            Bencode.dictionary(["candidate": .string(completion.candidate), "type": .string(completion.type)])
          }
          reply(["completions": .list(candidates), "status": Self.status("done")])
        } else {
          let name = request["sym"]?.text ?? request["symbol"]?.text ?? ""
          let found = lookups.run { interpreter.lookup(name: name, module: module()) } ?? nil
          reply(lookupReply(found, flat: op == "info"))
        }
      }
    default:
      reply(["status": Self.status("error", "unknown-op", "done"), "op": .string(op)])
    }
  }

  /// describe, ls-sessions and clone: the answers that need no session of the requester's.
  private func sessionless(_ op: String, clone: NREPLSession?, module: String = "user") -> [String: Bencode] {
    switch op {
    case "describe": return describe(module: module)
    case "ls-sessions": return ["sessions": .list(sessionIDs.map(Bencode.string)), "status": Self.status("done")]
    default:
      guard let clone else { return ["status": Self.status("error", "done")] }
      return ["new-session": .string(clone.id), "status": Self.status("done")]
    }
  }

  static func status(_ words: String...) -> Bencode { .list(words.map(Bencode.string)) }

  /// `module` if it is loaded: editors send Clojure namespaces (`user`, `cider.nrepl…`) that
  /// must not create empty modules.
  func knownModule(_ module: String) -> String? {
    module == "user" || interpreter.modules().contains { $0.name == module } ? module : nil
  }

  private func describe(module: String) -> [String: Bencode] {
    let version = TreebeardVersion.string
    let parts = version.split(separator: ".").map { Int($0) ?? 0 }
    func part(_ index: Int) -> Bencode { .integer(index < parts.count ? parts[index] : 0) }
    let versions: [String: Bencode] = [
      "treebeard": .dictionary([
        "version-string": .string(version), "major": part(0), "minor": part(1), "incremental": part(2),
      ]),
      "nrepl": .dictionary([
        "version-string": .string("1.0.0"), "major": .integer(1), "minor": .integer(0), "incremental": .integer(0),
      ]),
      "oxur": .dictionary(["version-string": .string(version)]),
    ]
    return [
      "ops": .dictionary(Self.operations.mapValues { .dictionary(["doc": .string($0)]) }),
      "versions": .dictionary(versions),
      "aux": .dictionary(["current-ns": .string(module)]),
      "status": Self.status("done"),
    ]
  }

  /// `eval`: one `value` per form as it is computed, output streamed meanwhile, then `done`.
  private func evaluate(
    _ request: [String: Bencode], session: NREPLSession, connection: NREPLConnection,
    reply: @escaping @Sendable ([String: Bencode]) -> Void
  ) {
    let handle = session.handle
    // Code that is not a string was taken as none: the client saw `done` and no sign of why.
    if let given = request["code"], given.text == nil {
      reply(["err": .string("eval: code must be a string\n"), "status": Self.status("error", "done")])
      return
    }
    // A place that is not an integer of at most 18 digits was taken as line 1: errors then
    // pointed at the wrong line of the buffer, with no sign of why.
    for field in ["line", "column"] where request[field].map({ $0.integer == nil }) == true {
      reply(["err": .string("eval: \(field) must be an integer\n"), "status": Self.status("error", "done")])
      return
    }
    if let module = request["ns"]?.text.flatMap({ knownModule($0) }) { handle.currentModule = module }
    let streams = capture(request, session: session, connection: connection)
    defer { release(streams, from: handle) }
    let code = request["code"]?.text ?? ""
    let file = request["file"]?.text ?? request["file-path"]?.text ?? "<nrepl>"
    let line = request["line"]?.integer ?? 1
    let column = request["column"]?.integer ?? 1
    let askForInput: @Sendable () -> Void = { reply(["status": Self.status("need-input")]) }
    do {
      try session.input.whileRequesting(askForInput) {
        try interpreter.eval(code, file: file, line: line, column: column, handle: handle) { value in
          streams.output.flush()
          if !value.isVoid { handle.remember(result: value) }
          let printed = value.isVoid ? "nil" : Printer.summary(value)
          reply(["value": .string(printed), "ns": .string(handle.currentModule ?? "user")])
        }
      }
    } catch {
      fail(error, handle: handle, streams: streams, reply: reply)
    }
    streams.output.flush()
    reply(["status": Self.status("done"), "ns": .string(handle.currentModule ?? "user")])
  }

  /// `load-file`: the buffer's text loads (or reloads) as a transaction; on failure the
  /// version before keeps answering, and the error comes back as `eval-error`.
  private func loadFile(
    _ request: [String: Bencode], session: NREPLSession, connection: NREPLConnection,
    reply: @escaping @Sendable ([String: Bencode]) -> Void
  ) {
    let handle = session.handle
    let streams = capture(request, session: session, connection: connection)
    defer { release(streams, from: handle) }
    let path = request["file-path"]?.text ?? request["file-name"]?.text ?? "nrepl-buffer.oxur"
    // A top level that reads a line asks for it as `eval` does: without `need-input` the
    // editor never sent one, and the load held the evaluator from every other session.
    let askForInput: @Sendable () -> Void = { reply(["status": Self.status("need-input")]) }
    do {
      let prepared =
        try request["file"]?.text.map { interpreter.prepare(path: path, text: $0) } ?? interpreter.prepare(path: path)
      let outcome = try session.input.whileRequesting(askForInput) {
        try interpreter.load(prepared: prepared, handle: handle)
      }
      for warning in outcome.warnings { streams.error.write(warning + "\n") }
      for line in outcome.reportLines { streams.output.write(line + "\n") }
      streams.output.flush()
      reply(["value": .string(":" + outcome.module), "ns": .string(handle.currentModule ?? "user")])
    } catch {
      fail(error, handle: handle, streams: streams, reply: reply)
    }
    streams.output.flush()
    reply(["status": Self.status("done")])
  }

  /// `refresh` / `refresh-all` (cider-nrepl's shape): every changed module reloads, all or nothing.
  private func refresh(session: NREPLSession, reply: @escaping @Sendable ([String: Bencode]) -> Void) {
    let askForInput: @Sendable () -> Void = { reply(["status": Self.status("need-input")]) }
    do {
      let outcomes = try session.input.whileRequesting(askForInput) {
        try interpreter.reloadAll(handle: session.handle)
      }
      let names = outcomes.flatMap { [$0.module] + $0.dependents.map(\.module) }
      reply(["reloading": .list(names.map(Bencode.string))])
      reply(["status": Self.status("ok")])
    } catch let failure as LoadFailure {
      var fields: [String: Bencode] = ["status": Self.status("error"), "error": .string(failure.report)]
      if let module = failure.attempted { fields["error-ns"] = .string(module) }
      reply(fields)
    } catch {
      reply(["status": Self.status("error"), "error": .string("\(error)")])
    }
    reply(["status": Self.status("done")])
  }

  private func fail(
    _ error: Error, handle: EvaluationHandle, streams: CapturedStreams,
    reply: @escaping @Sendable ([String: Bencode]) -> Void
  ) {
    let oxurError: OxurError
    var text: String
    switch error {
    case let failure as LoadFailure:
      oxurError = failure.error
      text = failure.report
    case let failure as OxurError:
      oxurError = failure
      text = ErrorRenderer.render(failure)
    case let exit as ExitRequest:
      oxurError = exit.refused("(exit \(exit.code)) does not end the process from an nREPL session")
      text = ErrorRenderer.render(oxurError)
    default:
      oxurError = OxurError("internal", "\(error)")
      text = ErrorRenderer.render(oxurError)
    }
    streams.output.flush()
    handle.remember(error: oxurError.asValue)
    if !text.hasSuffix("\n") { text += "\n" }
    streams.error.write(text)
    streams.error.flush()
    let exception = Bencode.string("oxur.error/\(oxurError.kind)")
    let status = oxurError.kind == "interrupted" ? Self.status("interrupted") : Self.status("eval-error")
    reply(["ex": exception, "root-ex": exception, "status": status])
  }

  struct CapturedStreams {
    let output: ResponseOutput
    let error: ResponseOutput
  }

  /// Points the session's output at this request for the duration of one request.
  private func capture(_ request: [String: Bencode], session: NREPLSession, connection: NREPLConnection)
    -> CapturedStreams
  {
    let handle = session.handle
    let interruptions = handle.interruptions
    let giveUp: @Sendable () -> Bool = { handle.interruptions != interruptions }
    let streams = CapturedStreams(
      output: ResponseOutput(
        connection: connection, request: request, session: session.id, key: "out", giveUp: giveUp),
      error: ResponseOutput(connection: connection, request: request, session: session.id, key: "err", giveUp: giveUp))
    session.handle.output = streams.output
    session.handle.errorOutput = streams.error
    return streams
  }

  private func release(_ streams: CapturedStreams, from handle: EvaluationHandle) {
    streams.output.flush()
    streams.error.flush()
    handle.output = nil
    handle.errorOutput = nil
  }

  /// A lookup's or info's reply: what `Interpreter.lookup` found, or "no info".
  private func lookupReply(_ found: NameInfo?, flat: Bool) -> [String: Bencode] {
    guard let info = found else {
      return flat
        ? ["status": Self.status("no-info", "done")] : ["info": .dictionary([:]), "status": Self.status("done")]
    }
    var fields: [String: Bencode] = [
      "name": .string(info.name), "ns": .string(info.module), "type": .string(info.type),
      "arglists-str": .string(info.arglists.joined(separator: "\n")),
    ]
    if !info.doc.isEmpty { fields["doc"] = .string(info.doc) }
    if let file = info.file { fields["file"] = .string(file) }
    if let line = info.line { fields["line"] = .integer(line) }
    if let column = info.column { fields["column"] = .integer(column) }
    if flat {
      fields["status"] = Self.status("done")
      return fields
    }
    return ["info": .dictionary(fields), "status": Self.status("done")]
  }
}
