import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
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
        case .failed(let reason): return reason
        }
    }
}

/// Sends one HTTP request and returns the response; does not retry.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}

/// The product's transport: URLSession (libcurl on Linux), synchronous for the caller.
/// Redirects are not followed: a POST that creates an instance must reach exactly one place.
/// The body read is capped: an instance is a few KiB, and a broken or hostile server must not
/// make ceauth hold megabytes.
public final class URLSessionTransport: HTTPTransport {
    public static let defaultMaxResponseBytes = 1024 * 1024
    private let maxResponseBytes: Int

    public init(maxResponseBytes: Int = URLSessionTransport.defaultMaxResponseBytes) {
        self.maxResponseBytes = maxResponseBytes
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        urlRequest.timeoutInterval = request.timeoutSeconds
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }

        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // One session per request: its delegate collects this request's body and nothing else.
        let collector = BodyCollector(limit: maxResponseBytes)
        let session = URLSession(configuration: configuration, delegate: collector, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let task = session.dataTask(with: urlRequest)
        task.resume()
        // The overall wait is bounded too, in case the timeout above is not honoured.
        guard collector.wait(seconds: request.timeoutSeconds + 5) else {
            task.cancel()
            throw .timedOut(seconds: Int(request.timeoutSeconds))
        }
        let outcome = collector.outcome
        if outcome.tooLarge {
            throw .responseTooLarge(status: (outcome.response as? HTTPURLResponse)?.statusCode ?? 0, limit: maxResponseBytes)
        }
        if let error = outcome.error {
            throw Self.classify(error, url: request.url, timeout: request.timeoutSeconds)
        }
        guard let http = outcome.response as? HTTPURLResponse else {
            throw .failed(reason: "the answer from \(request.url.host ?? "the server") was not HTTP")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: outcome.body)
    }

    private static func classify(_ error: Error, url: URL, timeout: Double) -> TransportError {
        let host = url.host ?? url.absoluteString
        guard let urlError = error as? URLError else {
            return .failed(reason: "request to \(host) failed: \(error.localizedDescription)")
        }
        switch urlError.code {
        case .timedOut:
            return .timedOut(seconds: Int(timeout))
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return .cannotConnect(host: host, reason: urlError.localizedDescription)
        case .badURL, .unsupportedURL:
            // Refused before any connection: nothing was sent.
            return .cannotConnect(host: host, reason: "the URL cannot be used by the HTTP client")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            // TLS ends before the request is written, so the server never saw it.
            return .cannotConnect(host: host, reason: "TLS failed: \(urlError.localizedDescription)")
        default:
            return .failed(reason: "request to \(host) failed: \(urlError.localizedDescription)")
        }
    }
}

/// Collects one task's response and body, up to a limit, for the waiting thread; refuses redirects.
private final class BodyCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Outcome {
        var response: URLResponse?
        var body = Data()
        var error: Error?
        var tooLarge = false
    }

    private let limit: Int
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stored = Outcome()

    init(limit: Int) {
        self.limit = limit
    }

    var outcome: Outcome {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func wait(seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        stored.response = response
        // A declared length past the limit is refused before a byte of the body is read.
        stored.tooLarge = response.expectedContentLength > Int64(limit)
        let refuse = stored.tooLarge
        lock.unlock()
        completionHandler(refuse ? .cancel : .allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        var cancel = false
        if !stored.tooLarge {
            stored.body.append(data)
            if stored.body.count > limit {
                stored.tooLarge = true
                stored.body = Data()
                cancel = true
            }
        }
        lock.unlock()
        if cancel { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        stored.error = error
        lock.unlock()
        semaphore.signal()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
