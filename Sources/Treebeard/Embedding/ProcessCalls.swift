// Host calls that run as a process of their own: what a server's request handlers need.

extension Interpreter {
  /// `call(function:arguments:)` as a process of its own for the length of the call: `(self)`
  /// is its pid and its mailbox is its own. A host call otherwise runs as the main process, so
  /// concurrent handlers shared main's mailbox: a reply sent to one handler's `(self)` was
  /// taken by another's `receive`, or by the main program's. `label` is what `(processes)`
  /// shows it runs. `(kill pid)` stops it as it stops any process.
  public func callAsProcess(function: Value, arguments: [Value] = [], label: String) throws -> Value {
    try asProcess(label: label) { machine in try machine.call(function, arguments) }
  }

  /// `call(module:function:arguments:)` as a process of its own (`callAsProcess(function:…)`).
  public func callAsProcess(module: String, function: String, arguments: [Value] = [], label: String) throws -> Value {
    try asProcess(label: label) { [runtime] machine in
      let site = runtime.site(module: module, name: Symbol.intern(function), checkExport: true)
      return try machine.call(try site.resolve().value, arguments)
    }
  }

  private func asProcess(label: String, _ body: @escaping (Machine) throws -> Value) throws -> Value {
    let process = try runtime.processes.register(function: label, attention: runtime.attention)
    var outcome: Result<Value, OxurError> = .failure(OxurError("internal", "the call did not run"))
    // Its slot frees before its awaiters wake, as a spawned process's does.
    defer {
      runtime.processes.ended(process)
      process.finish(outcome)
    }
    do {
      let value = try evaluating(process.handle) { machine in
        let outer = machine.process
        machine.process = process
        defer { machine.process = outer }
        return try body(machine)
      }
      outcome = .success(value)
      return value
    } catch let error as OxurError {
      let ending = process.endingError(error)
      outcome = .failure(ending)
      throw ending
    } catch {
      outcome = .failure(OxurError("internal", "\(error)"))
      throw error
    }
  }
}
