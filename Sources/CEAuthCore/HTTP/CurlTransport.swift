import CCurl
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The product's transport: libcurl's easy API, blocking in libcurl's own poll (no thread
/// spins while it waits). One handle serves every request of a transport, one at a time, so a
/// connection the server keeps alive is used again (login's POST goes on the connection of its
/// check before the browser; `verify --all` sends each worker's requests on one). Redirects are
/// not followed and nothing is sent twice: a body is handed to libcurl through a read callback
/// it cannot rewind, so libcurl's own retry on a reused connection that died cannot resend it
/// once any of it went out (a POST that creates an instance reaches one place, once). TLS is
/// always verified against the system's CA store; libcurl's proxy variables (`https_proxy`,
/// `no_proxy`, ...) are honoured. The body read is capped in the write callback.
public struct CurlTransport: HTTPTransport {
    public static let defaultMaxResponseBytes = 1024 * 1024
    private let maxResponseBytes: Int
    /// Where libcurl's proxy variables are read from (http_proxy, https_proxy, no_proxy, ...).
    private let environment: [String: String]
    private let session = CurlSession()

    public init(maxResponseBytes: Int = CurlTransport.defaultMaxResponseBytes,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.maxResponseBytes = maxResponseBytes
        self.environment = environment
    }

    /// The proxy for a scheme, as libcurl reads the variables: `http_proxy` (lower case only:
    /// a CGI request can set `HTTP_PROXY`), `https_proxy` or `HTTPS_PROXY`, then `all_proxy` or
    /// `ALL_PROXY`; "" for none.
    static func proxy(scheme: String, environment: [String: String]) -> String {
        let names = (scheme.lowercased() == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy"]) + ["all_proxy", "ALL_PROXY"]
        return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
    }

    /// The hosts never sent through a proxy: the user's `no_proxy` (or `NO_PROXY`) and always
    /// loopback, which libcurl would otherwise hand to `http_proxy` like any other host.
    static func noProxy(environment: [String: String]) -> String {
        let user = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        return ([user].filter { !$0.isEmpty } + ["localhost", "127.0.0.0/8", "::1"]).joined(separator: ",")
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let host = request.url.host ?? request.url.absoluteString
        if let problem = CurlLibrary.loadError { throw .cannotConnect(host: host, reason: problem) }
        return try session.withHandle { handle throws(TransportError) in
            guard let handle else { throw .cannotConnect(host: host, reason: "libcurl could not start") }
            return try send(request, host: host, on: handle)
        }
    }

    private func send(_ request: HTTPRequest, host: String, on handle: UnsafeMutableRawPointer) throws(TransportError) -> HTTPResponse {
        let sink = ResponseSink(limit: maxResponseBytes)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { ceauth_curl_slist_free_all(headerList) }
        // "Expect:" stops libcurl's 100-continue handshake, which waits a second on servers that skip it.
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) + [("Expect", "")] {
            headerList = ceauth_curl_slist_append(headerList, "\(name):" + (value.isEmpty ? "" : " \(value)"))
        }

        var setup = CURLE_OK
        func set(_ option: CURLoption, _ value: Int) { if setup == CURLE_OK { setup = ceauth_curl_setopt_long(handle, option, value) } }
        func set(_ option: CURLoption, _ text: String) {
            if setup == CURLE_OK { setup = text.withCString { ceauth_curl_setopt_pointer(handle, option, $0) } }
        }
        func set(_ option: CURLoption, pointer: UnsafeRawPointer?) {
            if setup == CURLE_OK { setup = ceauth_curl_setopt_pointer(handle, option, pointer) }
        }
        set(CURLOPT_URL, request.url.absoluteString)  // libcurl copies strings it is given
        // The proxy from the environment given (the process's, or a test's), by libcurl's rules;
        // an empty one means none. Loopback is never proxied.
        set(CURLOPT_PROXY, Self.proxy(scheme: request.url.scheme ?? "", environment: environment))
        set(CURLOPT_NOPROXY, Self.noProxy(environment: environment))
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_TIMEOUT_MS, Int(request.timeoutSeconds * 1000))
        set(CURLOPT_HTTPHEADER, pointer: UnsafeRawPointer(headerList))
        set(CURLOPT_WRITEDATA, pointer: sinkPointer)
        set(CURLOPT_HEADERDATA, pointer: sinkPointer)
        if setup == CURLE_OK { setup = ceauth_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, ResponseSink.receiveBody) }
        if setup == CURLE_OK { setup = ceauth_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION, ResponseSink.receiveHeader) }
        let source = request.body.map(BodySource.init)
        if let source {
            // Through a read callback with no seek callback: libcurl cannot rewind the body, so it
            // never sends it a second time (its retry of a reused connection stops at the rewind).
            set(CURLOPT_POST, 1)
            if setup == CURLE_OK { setup = ceauth_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(source.bytes.count)) }
            if setup == CURLE_OK { setup = ceauth_curl_setopt_read(handle, CURLOPT_READFUNCTION, BodySource.read) }
            set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(source).toOpaque())
            if request.method != "POST" { set(CURLOPT_CUSTOMREQUEST, request.method) }
        } else if request.method == "GET" {
            set(CURLOPT_HTTPGET, 1)
        } else {
            set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        guard setup == CURLE_OK else {
            throw .cannotConnect(host: host, reason: "libcurl refused an option: \(Self.text(setup))")
        }

        let result = withExtendedLifetime(source) { ceauth_curl_easy_perform(handle) }
        var status = 0
        var requestBytes = 0
        _ = ceauth_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        _ = ceauth_curl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestBytes)
        if sink.tooLarge { throw .responseTooLarge(status: status, limit: maxResponseBytes) }
        guard result == CURLE_OK else {
            throw Self.classify(result, requestBytes: requestBytes, host: host, timeout: request.timeoutSeconds)
        }
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Exit 5 ("nothing was sent") must be certain: only a failure that libcurl reports before
    /// the request is written, with no request byte counted, means the server never saw it.
    /// Everything else may have reached the server (exit 7), or was answered with bytes that
    /// are not an HTTP response (exit 8).
    static func classify(_ code: CURLcode, requestBytes: Int, host: String, timeout: Double) -> TransportError {
        let beforeSending: [CURLcode] = [
            CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_URL_MALFORMAT,
            CURLE_UNSUPPORTED_PROTOCOL, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_OPERATION_TIMEDOUT,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_FAILED_INIT,
        ]
        if requestBytes == 0 && beforeSending.contains(code) {
            return .cannotConnect(host: host, reason: code == CURLE_OPERATION_TIMEDOUT
                ? "no connection within \(Int(timeout)) seconds" : text(code))
        }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(seconds: Int(timeout))
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING, CURLE_HTTP2,
             CURLE_HTTP2_STREAM, CURLE_HTTP3:
            // After the request went out: the answer was bytes, but not an HTTP response.
            return .notHTTP(reason: text(code))
        default:
            return .failed(reason: "request to \(host) failed: \(text(code))")
        }
    }

    static func text(_ code: CURLcode) -> String {
        String(cString: ceauth_curl_easy_strerror(code))
    }
}

/// The one easy handle of a transport, used by one request at a time. libcurl keeps its
/// connections (and TLS sessions) with the handle; `curl_easy_reset` clears the options of the
/// last request and keeps them.
final class CurlSession: @unchecked Sendable {
    private let lock = OS.Lock()
    private var handle: UnsafeMutableRawPointer?

    func withHandle<T>(_ body: (UnsafeMutableRawPointer?) throws(TransportError) -> T) throws(TransportError) -> T {
        let result: Result<T, TransportError> = lock.withLock {
            if let handle { ceauth_curl_easy_reset(handle) } else { handle = ceauth_curl_easy_init() }
            do throws(TransportError) { return .success(try body(handle)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    deinit {
        if let handle { ceauth_curl_easy_cleanup(handle) }
    }
}

/// A request body for libcurl's read callback, read once from the start.
private final class BodySource {
    let bytes: [UInt8]
    var offset = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    static let read: curl_read_callback = { buffer, size, count, context in
        let source = Unmanaged<BodySource>.fromOpaque(context!).takeUnretainedValue()
        let length = Swift.min(size * count, source.bytes.count - source.offset)
        guard let buffer, length > 0 else { return 0 }
        source.bytes.withUnsafeBufferPointer { all in
            UnsafeMutableRawPointer(buffer).copyMemory(from: all.baseAddress! + source.offset, byteCount: length)
        }
        source.offset += length
        return length
    }
}

/// libcurl, loaded and set up once, on first use (the loader is thread-safe).
enum CurlLibrary {
    /// Nil once libcurl is ready; otherwise what is missing.
    static var loadError: String? { ceauth_curl_load().map { String(cString: $0) } }
}

/// Collects one response's headers and body for the thread waiting in `curl_easy_perform`
/// (the callbacks run on that same thread).
private final class ResponseSink {
    let limit: Int
    var body = Data()
    var headers: [String: String] = [:]
    var tooLarge = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Returning fewer bytes than given makes libcurl stop the transfer (CURLE_WRITE_ERROR).
    static let receiveBody: curl_write_callback = { data, size, count, context in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard let data, sink.body.count + length <= sink.limit else {
            sink.tooLarge = true
            sink.body = Data()
            return 0
        }
        sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
        return length
    }

    static let receiveHeader: curl_write_callback = { data, size, count, context in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard let data else { return length }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            sink.headers = [:]  // a new response (after 100 Continue): only the last one counts
            return length
        }
        guard let colon = line.firstIndex(of: ":") else { return length }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingWhitespace()
        // A declared length past the limit is refused before a byte of the body is read.
        if name == "content-length", let declared = Int(value), declared > sink.limit {
            sink.tooLarge = true
            return 0
        }
        sink.headers[name] = value
        return length
    }
}

/// A URL as libcurl itself reads it: what the transport will accept, with the host and port
/// in the form it will connect to (`127.000.000.001` is 127.0.0.1 to libcurl).
struct CurlURL: Equatable {
    var url: String
    var scheme: String
    var host: String
    var port: Int?

    /// Nil and a reason when libcurl would refuse the URL (bad port, bad host, ...).
    static func parse(_ text: String) -> Result<CurlURL, CurlURLRefusal> {
        if let problem = CurlLibrary.loadError { return .failure(CurlURLRefusal(reason: problem)) }
        guard let handle = ceauth_curl_url() else { return .failure(CurlURLRefusal(reason: "libcurl could not start")) }
        defer { ceauth_curl_url_cleanup(handle) }
        let set = ceauth_curl_url_set(handle, CURLUPART_URL, text, UInt32(CURLU_NON_SUPPORT_SCHEME))
        guard set == CURLUE_OK else {
            return .failure(CurlURLRefusal(reason: String(cString: ceauth_curl_url_strerror(set)).lowercased()))
        }
        func part(_ which: CURLUPart) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard ceauth_curl_url_get(handle, which, &value, 0) == CURLUE_OK, let value else { return nil }
            defer { ceauth_curl_free(value) }
            return String(cString: value)
        }
        guard let url = part(CURLUPART_URL), let scheme = part(CURLUPART_SCHEME), let host = part(CURLUPART_HOST) else {
            return .failure(CurlURLRefusal(reason: "it has no host"))
        }
        return .success(CurlURL(url: url, scheme: scheme.lowercased(), host: host.lowercased(), port: part(CURLUPART_PORT).flatMap { Int($0) }))
    }
}

struct CurlURLRefusal: Error, Equatable {
    var reason: String
}
