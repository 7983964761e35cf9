// Ring's request and response maps: an HTTP request as an Oxur map, an Oxur map as a response.

import Foundation
import Treebeard

/// A request as read off a connection, before it becomes an Oxur map.
struct HTTPRequestData: Sendable {
  var method: String
  /// The request target as sent: `/notes?limit=2`.
  var target: String
  var version: String
  /// In the order received, names as sent.
  var headers: [(name: String, value: String)]
  var body: [UInt8]?
  var remoteAddress: String?
  var serverName: String
  var serverPort: Int
}

/// A response ready to be written.
struct HTTPResponseData: Sendable {
  var status: Int
  var headers: [(name: String, value: String)]
  var body: [UInt8]

  static func plain(_ status: Int, _ text: String) -> HTTPResponseData {
    HTTPResponseData(
      status: status, headers: [("content-type", "text/plain; charset=utf-8")], body: Array((text + "\n").utf8))
  }
}

enum RingRequest {
  /// `http://host/notes?limit=2` (the absolute form RFC 9112 §3.2.2 says a server must accept)
  /// as `/notes?limit=2`: `:uri` is always a path, as a handler's routes expect.
  static func originForm(_ target: String) -> Substring {
    for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
      let afterScheme = target.dropFirst(scheme.count)
      guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
      return afterScheme[slash] == "/" ? afterScheme[slash...] : "/" + afterScheme[slash...]
    }
    return Substring(target)
  }

  /// `{:request-method :get :uri "/notes" :query-string "limit=2" :headers {"host" "…"} :body nil …}`.
  static func map(_ request: HTTPRequestData) -> Value {
    // A fragment is never sent by a browser; one a client sent anyway is not part of the path
    // (`/a#frag` was the :uri, while `/p?x=1#f` lost it with the query).
    let full = originForm(request.target)
    let target = full.firstIndex(of: "#").map { full[..<$0] } ?? full
    let path: Substring
    var query: Value = .nil
    if let mark = target.firstIndex(of: "?") {
      path = target[..<mark]
      let rest = target[target.index(after: mark)...]
      if !rest.isEmpty { query = .string(String(rest)) }
    } else {
      path = target
    }
    // Repeated headers are joined with commas, as RFC 9110 §5.3 allows and Ring does.
    var headers: [String: String] = [:]
    var order: [String] = []
    for (name, value) in request.headers {
      let key = name.lowercased()
      if let earlier = headers[key] {
        headers[key] = earlier + "," + value
      } else {
        headers[key] = value
        order.append(key)
      }
    }
    var headerMap = PersistentMap.empty
    for key in order { headerMap = headerMap.assoc(.string(key), .string(headers[key] ?? "")) }
    let body: Value = request.body.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .nil
    let fields: [(String, Value)] = [
      ("request-method", .keyword(request.method.lowercased())),
      ("uri", .string(String(path))),
      ("query-string", query),
      ("headers", .map(headerMap)),
      ("body", body),
      ("scheme", .keyword("http")),
      ("protocol", .string(request.version)),
      ("server-name", .string(request.serverName)),
      ("server-port", .int(request.serverPort)),
      ("remote-addr", request.remoteAddress.map { .string($0) } ?? .nil),
    ]
    var map = PersistentMap.empty
    for (key, value) in fields { map = map.assoc(.keyword(key), value) }
    return .map(map)
  }
}

enum RingResponse {
  /// The response a handler's value describes, or why it describes none.
  static func parse(_ value: Value) -> Result<HTTPResponseData, ResponseProblem> {
    guard case .map(let map) = value else {
      return .failure(
        ResponseProblem("the handler returned \(describe(value)), not a response map {:status … :body …}"))
    }
    guard case .int(let status)? = map.get(.keyword("status")) else {
      let found = map.get(.keyword("status")).map(describe) ?? "no :status"
      return .failure(ResponseProblem("the response's :status must be an integer from 200 to 599, got \(found)"))
    }
    guard (200...599).contains(status) else {
      return .failure(ResponseProblem("the response's :status must be an integer from 200 to 599, got \(status)"))
    }
    var headers: [(name: String, value: String)] = []
    switch map.get(.keyword("headers")) {
    case nil, .nil?: break
    case .map(let given)?:
      for (key, value) in given.storage {
        guard let name = headerName(key) else {
          return .failure(
            ResponseProblem("a response header name must be a token string or keyword, got \(describe(key))"))
        }
        let values = value.sequenceElements ?? [value]
        for element in values {
          guard let text = headerValue(element) else {
            return .failure(
              ResponseProblem(
                "the value of response header \"\(name)\" must be a string without line breaks, got \(describe(element))"
              ))
          }
          headers.append((name, text))
        }
      }
    case let other?:
      return .failure(ResponseProblem("the response's :headers must be a map, got \(describe(other))"))
    }
    let body: [UInt8]
    switch map.get(.keyword("body")) {
    case nil, .nil?: body = []
    case .string(let text)?: body = Array(text.value.utf8)
    case let other?:
      return .failure(ResponseProblem("the response's :body must be a string or nil, got \(describe(other))"))
    }
    // Names are case-insensitive: "Content-Type" and "content-type" in one map were both sent.
    var seen: [String: String] = [:]
    for (name, _) in headers {
      let lowered = name.lowercased()
      if let earlier = seen[lowered], earlier != name {
        let (one, other) = earlier < name ? (earlier, name) : (name, earlier)
        return .failure(
          ResponseProblem("response headers \"\(one)\" and \"\(other)\" name the same header; give it once"))
      }
      seen[lowered] = name
    }
    // The server frames the body itself: a handler's own framing headers would contradict it.
    headers.removeAll { ["content-length", "transfer-encoding", "connection"].contains($0.name.lowercased()) }
    // 204 and 304 carry no body (the server sends none), so no type for one.
    let carriesBody = status != 204 && status != 304
    if carriesBody && !headers.contains(where: { $0.name.lowercased() == "content-type" }) && !body.isEmpty {
      headers.append(("content-type", "text/plain; charset=utf-8"))
    }
    return .success(HTTPResponseData(status: status, headers: headers, body: body))
  }

  private static func headerName(_ key: Value) -> String? {
    let name: String
    switch key {
    case .string(let text): name = text.value
    case .keyword(let keyword): name = keyword.name
    default: return nil
    }
    let allowed = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    guard !name.isEmpty, name.count <= 256, name.allSatisfy({ allowed.contains($0) }) else { return nil }
    return name
  }

  private static func headerValue(_ value: Value) -> String? {
    let text: String
    switch value {
    case .string(let string): text = string.value
    case .int(let number): text = String(number)
    case .keyword(let keyword): text = keyword.name
    default: return nil
    }
    guard !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else { return nil }
    return text
  }

  /// A value named for a log line: its type and, when short, its text.
  static func describe(_ value: Value) -> String {
    let text = value.printed
    // nil is its own type name: "got nil", not "got nil nil".
    if text == value.typeName { return text }
    return text.count <= 80 ? "\(value.typeName) \(text)" : "\(value.typeName) \(text.prefix(77))…"
  }
}

struct ResponseProblem: Error {
  let message: String
  init(_ message: String) { self.message = message }
}
