// A raw-socket HTTP/1.1 client for the server tests: exact bytes out, one parsed response in.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One parsed response.
struct HTTPTestResponse {
  let status: Int
  /// Lower-cased names.
  let headers: [String: String]
  let body: String
}

/// One TCP connection to 127.0.0.1. Reads time out after `timeout` seconds, so a server that
/// never answers fails the test instead of hanging it.
final class HTTPTestConnection {
  private let socket: Int32
  private var buffer: [UInt8] = []

  init?(port: Int, timeout: TimeInterval = 20) {
    guard let descriptor = connectToLoopback(port: port, receiveTimeout: timeout) else { return nil }
    socket = descriptor
  }

  deinit { close(socket) }

  func send(_ text: String) { send(Array(text.utf8)) }

  func send(_ bytes: [UInt8]) { sendAll(bytes, to: socket) }

  /// Half-closes or closes: the server sees the client go away.
  func shutdownWrite() { shutdown(socket, Int32(SHUT_WR)) }

  /// Reads more bytes; false at end of stream, on error or on timeout.
  private func fill() -> Bool {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return false }
    buffer.append(contentsOf: chunk[0..<count])
    return true
  }

  /// The next response, or nil when the connection ends (or times out) before a whole one.
  func readResponse(isHead: Bool = false) -> HTTPTestResponse? {
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    var end: Int?
    while end == nil {
      if buffer.count >= 4 {
        for index in 0...(buffer.count - 4) where Array(buffer[index..<(index + 4)]) == separator {
          end = index
          break
        }
      }
      if end == nil && !fill() { return nil }
    }
    guard let headerEnd = end else { return nil }
    let lines = String(decoding: buffer[0..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
    buffer.removeFirst(headerEnd + 4)
    let statusParts = (lines.first ?? "").split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      headers[name] = headers[name].map { $0 + "," + value } ?? value
    }
    if (100..<200).contains(status) { return readResponse(isHead: isHead) }
    let length = isHead ? 0 : Int(headers["content-length"] ?? "0") ?? 0
    while buffer.count < length {
      if !fill() { return nil }
    }
    let body = String(decoding: buffer[0..<length], as: UTF8.self)
    buffer.removeFirst(length)
    return HTTPTestResponse(status: status, headers: headers, body: body)
  }

  /// True when the server closed the connection (end of stream within the timeout).
  func isClosedByServer() -> Bool {
    while fill() {}
    var probe: UInt8 = 0
    return recv(socket, &probe, 1, Int32(MSG_DONTWAIT)) == 0
  }

  /// One request with `Connection: close` on a fresh connection.
  static func request(
    port: Int, _ method: String = "GET", _ target: String, headers: [String: String] = [:], body: String? = nil
  ) -> HTTPTestResponse? {
    guard let connection = HTTPTestConnection(port: port) else { return nil }
    connection.send(
      requestText(method, target, headers: headers.merging(["connection": "close"]) { a, _ in a }, body: body))
    return connection.readResponse(isHead: method == "HEAD")
  }

  static func requestText(_ method: String, _ target: String, headers: [String: String] = [:], body: String? = nil)
    -> String
  {
    var text = "\(method) \(target) HTTP/1.1\r\nhost: 127.0.0.1\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
    if let body { text += "content-length: \(body.utf8.count)\r\n" }
    return text + "\r\n" + (body ?? "")
  }
}
