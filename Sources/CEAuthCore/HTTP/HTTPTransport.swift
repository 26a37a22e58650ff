#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeoutSeconds: Double

    public init(method: String, url: URL, headers: [String: String], body: Data?, timeoutSeconds: Double) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a request got no usable HTTP answer.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    case timedOut(seconds: Int)
    case cannotConnect(host: String, reason: String)
    /// The server answered with more than the transport reads; the rest was not read.
    case responseTooLarge(status: Int, limit: Int)
    /// The request went out and bytes came back, but not an HTTP response.
    case notHTTP(reason: String)
    case failed(reason: String)

    /// False only when the connection was never made, so the server cannot have seen the request.
    public var mayHaveArrived: Bool {
        if case .cannotConnect = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .timedOut(let seconds): return "no answer within \(seconds) seconds"
        case .cannotConnect(let host, let reason): return "cannot connect to \(host): \(reason)"
        case .responseTooLarge(let status, let limit): return "HTTP \(status) with a body larger than \(limit / 1024) KiB"
        case .notHTTP(let reason): return "the answer was not an HTTP response (\(reason))"
        case .failed(let reason): return reason
        }
    }
}

/// Sends one HTTP request and returns the response; does not retry.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
