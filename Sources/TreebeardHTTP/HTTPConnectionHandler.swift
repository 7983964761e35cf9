// One connection: collects a request (head, body up to the limit), hands it to a worker, writes the answer.

import Foundation
import NIOCore
import NIOHTTP1

/// Lives on the connection's event loop. NIO's server pipeline before it parses HTTP/1.1,
/// answers malformed input with 400 and closes, and holds pipelined requests back until the
/// response to the previous one has ended, so at most one request per connection is in flight.
final class HTTPConnectionHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let server: HTTPServer
  private var head: HTTPRequestHead?
  private var body: ByteBuffer?
  /// Set once a 413 went out: the rest of that request is read and dropped until the close.
  private var refusing = false
  /// A request of this connection is with a handler.
  private var inFlight = false

  init(server: HTTPServer) { self.server = server }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let requestHead):
      guard !refusing else { return }
      // NIO's parser takes what follows a CONNECT for a tunnel's bytes: a request pipelined
      // after one was never answered, and the handler's response lost its body. Not a proxy.
      if requestHead.method == .CONNECT {
        refusing = true
        write(
          .plain(405, "Method Not Allowed"), version: requestHead.version, keepAlive: false, isHead: false,
          context: context)
        return
      }
      // A target that is not a path (`ftp://h/x`, `x`) reached the handler as its `:uri`,
      // which routes expect to be one. `*` is OPTIONS' asterisk form (RFC 9112 §3.2.4).
      guard
        RingRequest.originForm(requestHead.uri).hasPrefix("/")
          || (requestHead.uri == "*" && requestHead.method == .OPTIONS)
      else {
        refusing = true
        write(
          .plain(400, "Bad Request (the request target must be a path)"), version: requestHead.version,
          keepAlive: false, isHead: false, context: context)
        return
      }
      head = requestHead
      body = nil
      let declared = requestHead.headers.first(name: "content-length").flatMap { Int($0) }
      if let declared, declared > server.options.maxBody {
        refuse(context)
      } else if requestHead.headers.first(name: "expect")?.lowercased() == "100-continue" {
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: requestHead.version, status: .continue))))
          .whenComplete { _ in }
      }
    case .body(var chunk):
      guard !refusing, head != nil else { return }
      let received = (body?.readableBytes ?? 0) + chunk.readableBytes
      if received > server.options.maxBody {
        refuse(context)
      } else if body == nil {
        body = chunk
      } else {
        body?.writeBuffer(&chunk)
      }
    case .end:
      guard !refusing, let requestHead = head else { return }
      head = nil
      dispatch(requestHead, body: body.map { Array($0.readableBytesView) }, context: context)
      body = nil
    }
  }

  /// 413 and close: a body past `:max-body` is never read into memory.
  private func refuse(_ context: ChannelHandlerContext) {
    refusing = true
    head = nil
    body = nil
    let limit = server.options.maxBody
    write(
      .plain(413, "Payload Too Large (the limit is \(limit) bytes)"), version: .http1_1, keepAlive: false,
      isHead: false, context: context)
  }

  private func dispatch(_ requestHead: HTTPRequestHead, body: [UInt8]?, context: ChannelHandlerContext) {
    let channel = context.channel
    let request = HTTPRequestData(
      method: requestHead.method.rawValue, target: requestHead.uri, version: "\(requestHead.version)",
      headers: requestHead.headers.map { ($0.name, $0.value) }, body: body,
      remoteAddress: channel.remoteAddress?.ipAddress, serverName: server.options.host, serverPort: server.port)
    let keepAlive = requestHead.isKeepAlive
    let version = requestHead.version
    let isHead = requestHead.method == .HEAD
    let server = self.server
    let taken = server.setBusy(channel, true)
    server.answering(true)
    inFlight = true
    let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
    let eventLoop = context.eventLoop
    server.workers.submit {
      let response = server.respond(to: request, taken: taken)
      eventLoop.execute {
        let (handler, context) = bound.value
        let running = server.setBusy(channel, false)
        handler.inFlight = false
        guard channel.isActive else {
          server.answering(false)
          return
        }
        handler.write(response, version: version, keepAlive: keepAlive && running, isHead: isHead, context: context) {
          server.answering(false)
        }
      }
    }
  }

  private func write(
    _ response: HTTPResponseData, version: HTTPVersion, keepAlive: Bool, isHead: Bool, context: ChannelHandlerContext,
    written: @escaping @Sendable () -> Void = {}
  ) {
    var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
    let hasBody = response.status != 204 && response.status != 304
    if hasBody { headers.replaceOrAdd(name: "content-length", value: String(response.body.count)) }
    if !keepAlive {
      headers.replaceOrAdd(name: "connection", value: "close")
    } else if version.major == 1 && version.minor == 0 {
      headers.replaceOrAdd(name: "connection", value: "keep-alive")
    }
    let status = HTTPResponseStatus(statusCode: response.status)
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
    if hasBody && !isHead && !response.body.isEmpty {
      context.write(
        wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
    }
    let channel = context.channel
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
      written()
      if !keepAlive { channel.close(promise: nil) }
    }
  }

  /// A silent connection with no request in flight (a client that opened and never sent, or
  /// stopped mid-request) is closed, so such clients cannot hold sockets forever.
  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
      if !inFlight { context.close(promise: nil) }
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    context.close(promise: nil)
  }
}
