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

/// Why a request got no HTTP answer at all.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    case timedOut(seconds: Int)
    case cannotConnect(host: String, reason: String)
    case failed(reason: String)

    public var description: String {
        switch self {
        case .timedOut(let seconds): return "no answer within \(seconds) seconds"
        case .cannotConnect(let host, let reason): return "cannot connect to \(host): \(reason)"
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
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        urlRequest.timeoutInterval = request.timeoutSeconds
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }

        let box = ResultBox()
        let task = session.dataTask(with: urlRequest) { data, response, error in
            box.set(data: data, response: response, error: error)
        }
        task.resume()
        // The overall wait is bounded too, in case the timeout above is not honoured.
        guard box.wait(seconds: request.timeoutSeconds + 5) else {
            task.cancel()
            throw .timedOut(seconds: Int(request.timeoutSeconds))
        }
        let (data, response, error) = box.value
        if let error {
            throw Self.classify(error, url: request.url, timeout: request.timeoutSeconds)
        }
        guard let http = response as? HTTPURLResponse else {
            throw .failed(reason: "the answer from \(request.url.host ?? "the server") was not HTTP")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data())
    }

    private static func classify(_ error: Error, url: URL, timeout: Double) -> TransportError {
        let host = url.host ?? url.absoluteString
        guard let urlError = error as? URLError else {
            return .failed(reason: "request to \(host) failed: \(error.localizedDescription)")
        }
        switch urlError.code {
        case .timedOut:
            return .timedOut(seconds: Int(timeout))
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .networkConnectionLost:
            return .cannotConnect(host: host, reason: urlError.localizedDescription)
        default:
            return .failed(reason: "request to \(host) failed: \(urlError.localizedDescription)")
        }
    }
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// Hands a completion handler's values to the waiting thread.
private final class ResultBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stored: (Data?, URLResponse?, Error?) = (nil, nil, nil)

    func set(data: Data?, response: URLResponse?, error: Error?) {
        lock.lock()
        stored = (data, response, error)
        lock.unlock()
        semaphore.signal()
    }

    func wait(seconds: Double) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }

    var value: (Data?, URLResponse?, Error?) {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
